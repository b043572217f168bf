import { expect, test } from 'vitest';
import { PagedItems } from './paged-items.svelte';

type Item = { id: string };
const ids = (list: PagedItems<Item>) => list.items.map((x) => x.id).join('');

// Pages of the given ids; the cursor is the next page's index.
function pages(...contents: string[][]) {
  const asked: (string | null)[] = [];
  const load = async (cursor: string | null) => {
    asked.push(cursor);
    const i = cursor ? Number(cursor) : 0;
    return { assets: contents[i].map((id) => ({ id })), next_cursor: i + 1 < contents.length ? String(i + 1) : null };
  };
  return { load, asked };
}

test('pages load one after the other until none is left', async () => {
  const server = pages(['a', 'b'], ['c'], ['d']);
  const list = new PagedItems<Item>(server.load);
  await list.reload();
  expect([ids(list), list.ready, list.done]).toEqual(['ab', true, false]);
  await list.more();
  await list.all();
  expect([ids(list), list.done]).toEqual(['abcd', true]);
  await list.more();
  expect(server.asked).toEqual([null, '1', '2']);
});

test('a reload starts again, and an item seen twice shows once', async () => {
  const server = pages(['a', 'b'], ['b', 'c']);
  const list = new PagedItems<Item>(server.load);
  await list.reload();
  await list.more();
  expect(ids(list)).toBe('abc');
  await list.reload();
  expect(ids(list)).toBe('ab');
});

test('a failure is kept and ends the paging', async () => {
  const list = new PagedItems<Item>(async () => {
    throw new Error('offline');
  });
  await list.reload();
  expect([list.failure, list.done, list.ready, list.items.length]).toEqual(['offline', true, true, 0]);
});

test('remove, replace and reorder change the list in place of the server', async () => {
  const list = new PagedItems<Item & { v?: number }>(pages(['a', 'b', 'c', 'd']).load);
  await list.reload();
  list.remove(['b']);
  list.replace({ id: 'c', v: 2 });
  list.reorder(['d', 'a']);
  expect(list.items).toEqual([{ id: 'd' }, { id: 'a' }, { id: 'c', v: 2 }]);
});
