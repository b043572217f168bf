import { expect, test } from 'vitest';
import { monthLabel, offsetToTrack, trackToOffset, yearMarks } from './scrubber';

test('monthLabel names the month and year', () => {
  expect(monthLabel('2021-05')).toBe('May 2021');
  expect(monthLabel('2024-12')).toBe('December 2024');
  expect(monthLabel('junk')).toBe('junk');
});

test("a year's mark is where its newest month starts, as a fraction of the track", () => {
  const keys = ['2024-03', '2024-01', '2023-12', '2021-05'];
  const offsets = [0, 100, 200, 800, 1000];
  expect(yearMarks(keys, offsets, 500, 10)).toEqual([
    { year: '2024', y: 0, month: 0 },
    { year: '2023', y: 100, month: 2 },
    { year: '2021', y: 400, month: 3 },
  ]);
});

test('marks too close to the one above are left out', () => {
  const keys = ['2024-01', '2023-01', '2022-01'];
  const offsets = [0, 990, 995, 1000];
  expect(yearMarks(keys, offsets, 100, 12).map((m) => m.year)).toEqual(['2024', '2023']);
  expect(yearMarks([], [0], 100, 12)).toEqual([]);
});

test('track and timeline positions map both ways and clamp', () => {
  expect(trackToOffset(50, 200, 10_000)).toBe(2500);
  expect(trackToOffset(-5, 200, 10_000)).toBe(0);
  expect(trackToOffset(500, 200, 10_000)).toBe(10_000);
  expect(offsetToTrack(2500, 10_000, 200)).toBe(50);
  expect(offsetToTrack(20_000, 10_000, 200)).toBe(200);
  expect(offsetToTrack(5, 0, 200)).toBe(0);
});
