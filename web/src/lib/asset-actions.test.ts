import { afterEach, expect, test, vi } from 'vitest';
import { addToAlbum, bulkUpdate, items, prepareDownload, writableAlbums, type AlbumSummary } from './asset-actions';

interface Call {
  method: string;
  path: string;
  body: unknown;
  csrf: string | undefined;
}

// A fake fetch answering each request with `reply(call)` as JSON.
function fakeFetch(reply: (call: Call) => unknown) {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
    const headers = init.headers as Record<string, string>;
    const call = { method: init.method ?? 'GET', path, body: init.body ? JSON.parse(init.body as string) : undefined,
                   csrf: headers['X-Shoebox-Csrf'] };
    calls.push(call);
    return new Response(JSON.stringify(reply(call)), { status: 200 });
  });
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

test('bulk changes go 1000 ids at a time with the CSRF header, and the counts add up', async () => {
  const calls = fakeFetch((c) => ({ updated: (c.body as { asset_ids: string[] }).asset_ids.length }));
  const ids = Array.from({ length: 2500 }, (_, i) => `id${i}`);
  expect(await bulkUpdate(ids, 'archive')).toBe(2500);
  expect(calls.map((c) => [c.method, c.path, (c.body as { asset_ids: string[] }).asset_ids.length])).toEqual([
    ['POST', '/api/v1/assets/bulk', 1000], ['POST', '/api/v1/assets/bulk', 1000], ['POST', '/api/v1/assets/bulk', 500]]);
  expect(calls.every((c) => c.csrf === '1' && (c.body as { action: string }).action === 'archive')).toBe(true);
  expect((calls[2].body as { asset_ids: string[] }).asset_ids[0]).toBe('id2000');
});

test('one asset downloads as its original, several as a zip', async () => {
  const calls = fakeFetch(() => ({ id: 'z1', url: '/api/v1/downloads/z1', name: 'shoebox-2-items.zip', size: 10 }));
  expect(await prepareDownload(['a'], () => 'a.jpg')).toEqual({ url: '/api/v1/assets/a/original', name: 'a.jpg' });
  expect(calls).toEqual([]);
  expect(await prepareDownload(['a', 'b'], () => '')).toEqual({ url: '/api/v1/downloads/z1', name: 'shoebox-2-items.zip' });
  expect(calls[0]).toMatchObject({ method: 'POST', path: '/api/v1/downloads', body: { asset_ids: ['a', 'b'] } });
});

test('albums: only owned and contributed ones take photos; adding posts the ids', async () => {
  const album = (id: string, role: AlbumSummary['role']): AlbumSummary =>
    ({ id, name: id, role, asset_count: 0, cover_thumbnail_url: null });
  expect(writableAlbums([album('a', 'owner'), album('b', 'viewer'), album('c', 'contributor')]).map((a) => a.id))
    .toEqual(['a', 'c']);
  const calls = fakeFetch(() => ({ added: 2, already: 1 }));
  expect(await addToAlbum('x1', ['p', 'q', 'r'])).toEqual({ added: 2, already: 1 });
  expect(calls[0]).toMatchObject({ method: 'POST', path: '/api/v1/albums/x1/assets', body: { asset_ids: ['p', 'q', 'r'] } });
});

test('items counts', () => {
  expect(items(1)).toBe('1 item');
  expect(items(3)).toBe('3 items');
});
