import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  canAdd, canEdit, canRemove, dateRange, dayOfExpiry, dropPlacement, expiryFromDay, moved, moveInAlbum, removeFromAlbum,
  type AlbumItem,
} from './albums';

describe('dateRange', () => {
  it('says as little as it needs to', () => {
    expect(dateRange(null, null)).toBe('');
    expect(dateRange('2021-05-06T10:00:00Z', '2021-05-06T18:00:00Z')).toBe('6 May 2021');
    expect(dateRange('2021-05-06T10:00:00Z', '2021-05-09T00:00:00Z')).toBe('6–9 May 2021');
    expect(dateRange('2023-05-06T10:00:00Z', '2023-07-08T00:00:00Z')).toBe('6 May – 8 Jul 2023');
    expect(dateRange('2021-05-06T10:00:00Z', '2023-07-08T18:30:00Z')).toBe('6 May 2021 – 8 Jul 2023');
  });

  it('copes with one end, the ends swapped and nonsense', () => {
    expect(dateRange('2021-05-06T10:00:00Z', null)).toBe('6 May 2021');
    expect(dateRange(null, '2021-05-06T10:00:00Z')).toBe('6 May 2021');
    expect(dateRange('2023-07-08T00:00:00Z', '2021-05-06T00:00:00Z')).toBe('6 May 2021 – 8 Jul 2023');
    expect(dateRange('garbage', null)).toBe('');
  });
});

describe('reordering', () => {
  const order = ['a', 'b', 'c', 'd', 'e'];

  it('moves as the server does', () => {
    expect(moved(order, ['d'], 'b')).toEqual(['a', 'd', 'b', 'c', 'e']);
    expect(moved(order, ['e', 'a'], 'c')).toEqual(['b', 'e', 'a', 'c', 'd']);
    expect(moved(order, ['b'], '')).toEqual(['a', 'c', 'd', 'e', 'b']);
    expect(moved(order, ['x', 'b', 'b'], 'a')).toEqual(['b', 'a', 'c', 'd', 'e']);
  });

  it('a dropped tile takes the place of the tile it was dropped on', () => {
    const drop = (dragged: string[], target: string) => {
      const before = dropPlacement(order, dragged, target);
      return before === null ? null : moved(order, dragged, before);
    };
    expect(drop(['d'], 'b')).toEqual(['a', 'd', 'b', 'c', 'e']); // back: before the target
    expect(drop(['a'], 'c')).toEqual(['b', 'c', 'a', 'd', 'e']); // forward: after it
    expect(drop(['a'], 'e')).toEqual(['b', 'c', 'd', 'e', 'a']); // forward onto the last: the end
    expect(drop(['a', 'b'], 'd')).toEqual(['c', 'd', 'a', 'b', 'e']);
    expect(drop(['a', 'e'], 'c')).toEqual(['b', 'c', 'a', 'e', 'd']);
  });

  it('moving in pieces, each before the same item, is moving all at once', () => {
    const many = Array.from({ length: 10 }, (_, i) => `x${i}`);
    for (const before of ['x2', '']) {
      const once = moved(many, ['x9', 'x0', 'x5', 'x7'], before);
      expect(moved(moved(many, ['x9', 'x0'], before), ['x5', 'x7'], before)).toEqual(once);
    }
  });

  it('nothing moves onto itself or an unknown tile', () => {
    expect(dropPlacement(order, ['b'], 'b')).toBeNull();
    expect(dropPlacement(order, ['a', 'b'], 'b')).toBeNull();
    expect(dropPlacement(order, ['a'], 'zzz')).toBeNull();
    expect(dropPlacement(order, [], 'a')).toBeNull();
  });
});

describe('roles', () => {
  const mine = { id: 'x', added_by: 'me' } as AlbumItem;
  const theirs = { id: 'y', added_by: 'them' } as AlbumItem;

  it('owners change everything, contributors add and remove their own, viewers look', () => {
    expect([canEdit('owner'), canEdit('contributor'), canEdit('viewer'), canEdit(undefined)]).toEqual([true, false, false, false]);
    expect([canAdd('owner'), canAdd('contributor'), canAdd('viewer')]).toEqual([true, true, false]);
    expect(canRemove('owner', theirs, 'me')).toBe(true);
    expect(canRemove('contributor', mine, 'me')).toBe(true);
    expect(canRemove('contributor', theirs, 'me')).toBe(false);
    expect(canRemove('viewer', mine, 'me')).toBe(false);
  });
});

describe('link expiry', () => {
  it('is the end of the chosen day, and reads back as that day', () => {
    const at = expiryFromDay('2026-12-31')!;
    expect(new Date(at).getTime()).toBeGreaterThan(new Date(2026, 11, 31, 23, 0).getTime());
    expect(dayOfExpiry(at)).toBe('2026-12-31');
    expect(expiryFromDay('')).toBeNull();
    expect(expiryFromDay('31/12/2026')).toBeNull();
    expect(dayOfExpiry(null)).toBe('');
  });
});

describe('large selections', () => {
  afterEach(() => vi.unstubAllGlobals());

  function server(answer: (body: { asset_ids: string[] }) => unknown) {
    const bodies: { asset_ids: string[]; before_asset_id?: string }[] = [];
    vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
      const body = JSON.parse(init.body as string);
      bodies.push(body);
      const reply = answer(body);
      return reply === undefined ? new Response(null, { status: 204 }) : new Response(JSON.stringify(reply), { status: 200 });
    });
    return bodies;
  }

  const ids = Array.from({ length: 2500 }, (_, i) => `a${i}`);

  it('are removed in pieces of at most 1000, the counts added up', async () => {
    const bodies = server((b) => ({ removed: b.asset_ids.length - 1 }));
    expect(await removeFromAlbum('al', ids)).toBe(2497);
    expect(bodies.map((b) => b.asset_ids.length)).toEqual([1000, 1000, 500]);
    expect(bodies.flatMap((b) => b.asset_ids)).toEqual(ids);
  });

  it('are moved in pieces, in order, each before the same item', async () => {
    const bodies = server(() => undefined);
    await moveInAlbum('al', ids, 'z');
    expect(bodies.map((b) => [b.asset_ids[0], b.asset_ids.length, b.before_asset_id])).toEqual([
      ['a0', 1000, 'z'], ['a1000', 1000, 'z'], ['a2000', 500, 'z']]);
  });
});
