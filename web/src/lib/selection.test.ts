import { expect, test } from 'vitest';
import { between, chunks, dragged, extended, groupToggled, toggled } from './selection';

const order = ['a', 'b', 'c', 'd', 'e'];
const sorted = (s: Set<string>) => [...s].sort();

test('a click toggles one asset and leaves the input alone', () => {
  const before = new Set(['a']);
  expect(sorted(toggled(before, 'b'))).toEqual(['a', 'b']);
  expect(sorted(toggled(before, 'a'))).toEqual([]);
  expect(sorted(before)).toEqual(['a']);
});

test('between takes the run in timeline order whichever end comes first', () => {
  expect(between(order, 'b', 'd')).toEqual(['b', 'c', 'd']);
  expect(between(order, 'd', 'b')).toEqual(['b', 'c', 'd']);
  expect(between(order, 'c', 'c')).toEqual(['c']);
  expect(between(order, 'c', 'zz')).toEqual([]);
});

test('shift-click adds the run from the anchor, or toggles without one', () => {
  expect(sorted(extended(new Set(['e']), order, 'b', 'd'))).toEqual(['b', 'c', 'd', 'e']);
  expect(sorted(extended(new Set(), order, null, 'c'))).toEqual(['c']);
  expect(sorted(extended(new Set(), order, 'gone', 'c'))).toEqual(['c']);
});

test('a drag adds or removes the run from where it started, against the selection before it', () => {
  const before = new Set(['e']);
  expect(sorted(dragged(before, order, 'a', 'c', 'add'))).toEqual(['a', 'b', 'c', 'e']);
  // Moving back shrinks the run again: it is recomputed from `before`, not accumulated.
  expect(sorted(dragged(before, order, 'a', 'b', 'add'))).toEqual(['a', 'b', 'e']);
  expect(sorted(dragged(new Set(order), order, 'd', 'b', 'remove'))).toEqual(['a', 'e']);
});

test("a day's check takes the whole day, or drops it when all of it is selected", () => {
  expect(sorted(groupToggled(new Set(['a']), ['a', 'b']))).toEqual(['a', 'b']);
  expect(sorted(groupToggled(new Set(['a', 'b', 'c']), ['a', 'b']))).toEqual(['c']);
  expect(sorted(groupToggled(new Set(['c']), []))).toEqual(['c']);
});

test('chunks splits into pieces of at most the size', () => {
  const ids = Array.from({ length: 2500 }, (_, i) => String(i));
  expect(chunks(ids, 1000).map((c) => c.length)).toEqual([1000, 1000, 500]);
  expect(chunks([], 1000)).toEqual([]);
});
