import { describe, expect, it } from 'vitest';
import { totals, type UploadItem } from './uploads';

const item = (size: number, sent: number, state: UploadItem['state']): UploadItem => ({ name: 'x', size, sent, state, message: '' });

describe('totals', () => {
  it('counts finished files whole and the others by what was sent', () => {
    expect(totals([item(100, 100, 'done'), item(50, 0, 'duplicate'), item(200, 40, 'uploading'), item(10, 0, 'failed')]))
      .toEqual({ sent: 190, size: 360, done: 2 });
  });
});
