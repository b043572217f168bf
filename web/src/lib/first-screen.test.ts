import { expect, test } from 'vitest';
import type { Asset } from './api';
import { firstThumbnails } from './first-screen';

test('firstThumbnails: the first assets\' thumbnails, those without one left out', () => {
  const assets = [
    { id: 'a', thumbnail_url: '/a' }, { id: 'b', thumbnail_url: null }, { id: 'c', thumbnail_url: '/c' },
    { id: 'd', thumbnail_url: '/d' },
  ] as Asset[];
  expect(firstThumbnails(assets, 3)).toEqual(['/a', '/c']);
  expect(firstThumbnails(assets, 10)).toEqual(['/a', '/c', '/d']);
});
