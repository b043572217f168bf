import { describe, expect, it } from 'vitest';
import { dayLabel, groupByDay } from './timeline';

describe('groupByDay', () => {
  it('starts a day whenever the camera date changes, keeping the order', () => {
    const days = groupByDay([
      { id: 'a', taken_at_local: '2023-01-02T23:30:00.000' },
      { id: 'b', taken_at_local: '2023-01-02T08:00:00.000' },
      { id: 'c', taken_at_local: '2022-12-31T12:00:00.000' },
    ]);
    expect(days.map((d) => d.key)).toEqual(['2023-01-02', '2022-12-31']);
    expect(days[0].items.map((a) => a.id)).toEqual(['a', 'b']);
  });

  it('labels days in words', () => {
    expect(dayLabel('2023-01-02')).toBe('Mon, 2 Jan 2023');
    expect(dayLabel('garbage')).toBe('garbage');
  });
});
