import { expect, test } from 'vitest';
import type { Asset } from './api';
import {
  firstRequests, monthDays, monthsOfPage, TimelineStore, withCounts, withFirstPage, withPage, type Get, type Month,
} from './timeline-store.svelte';

function asset(id: string, local: string): Asset {
  return { id, taken_at_local: local, is_favorite: false } as Asset;
}

// A fake server: answers by path from a table (at the time of the request), remembers what was
// asked, and can hold answers to searches back until released, newest first.
function server(routes: (path: string) => unknown) {
  const asked: string[] = [];
  const held: (() => void)[] = [];
  let holding = false;
  const get: Get = <T>(path: string) => {
    asked.push(path);
    let answer: Promise<T>;
    try {
      answer = Promise.resolve(routes(path) as T);
    } catch (e) {
      answer = Promise.reject(e);
    }
    if (!holding || !path.startsWith('/api/v1/search')) return answer;
    return new Promise<T>((resolve, reject) => held.push(() => void answer.then(resolve, reject)));
  };
  return {
    get, asked,
    hold: () => (holding = true),
    release: async () => {
      holding = false;
      for (const go of held.splice(0).reverse()) {
        go();
        await settle();
      }
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

test('monthDays asks for the month with two days either side', () => {
  expect(monthDays('2024-05')).toEqual({ from: '2024-04-29', to: '2024-06-02' });
  expect(monthDays('2024-12')).toEqual({ from: '2024-11-29', to: '2025-01-02' });
  expect(monthDays('2024-02')).toEqual({ from: '2024-01-30', to: '2024-03-02' });
});

test('withPage continues the last month and starts new ones', () => {
  const one = withPage([], [asset('a', '2024-05-09T10:00:00'), asset('b', '2024-05-01T10:00:00')]);
  const two = withPage(one, [asset('c', '2024-05-01T09:00:00'), asset('d', '2023-01-01T09:00:00')]);
  expect(two.map((m) => [m.key, m.count, m.assets!.map((a) => a.id).join('')])).toEqual([
    ['2024-05', 3, 'abc'], ['2023-01', 1, 'd']]);
  expect(one[0].count).toBe(2); // the input is left alone
});

test('months come from the buckets; a wanted month loads its days through search', async () => {
  const s = server((path) => {
    if (path.startsWith('/api/v1/timeline/buckets')) {
      return { buckets: [{ month: '2024-05', count: 2 }, { month: '2024-04', count: 1 }, { month: '2021-01', count: 7 }] };
    }
    if (path.includes('from=2024-04-29') && !path.includes('cursor')) {
      // An asset of the neighbouring month, taken near midnight, comes along and is dropped.
      return { assets: [asset('june', '2024-06-01T01:00:00'), asset('a', '2024-05-31T23:00:00')], next_cursor: 'c1' };
    }
    if (path.includes('cursor=c1')) return { assets: [asset('b', '2024-05-02T08:00:00')], next_cursor: null };
    if (path.startsWith('/api/v1/assets')) throw new Error('the first page is not needed here');
    throw new Error(`unexpected ${path}`);
  });
  const store = new TimelineStore('archive', '', s.get);
  await store.reload();
  expect(s.asked).toEqual(['/api/v1/assets?visibility=archive&limit=100', '/api/v1/timeline/buckets?visibility=archive']);
  expect(store.failure).toBeNull(); // a first page that failed does not matter
  expect(store.months.map((m) => [m.key, m.count, m.state])).toEqual([
    ['2024-05', 2, 'idle'], ['2024-04', 1, 'idle'], ['2021-01', 7, 'idle']]);
  expect(store.total).toBe(10);
  expect(store.done).toBe(true);

  store.want([0]);
  expect(store.months[0].state).toBe('loading');
  await settle();
  expect(s.asked[2]).toBe('/api/v1/search?visibility=archive&from=2024-04-29&to=2024-06-02&limit=1000');
  expect(store.months[0]).toMatchObject({ state: 'ready', count: 2 });
  expect(store.loaded.map((a) => a.id)).toEqual(['a', 'b']);
  expect(store.monthOf('b')).toBe(0);
  expect(store.monthOf('june')).toBe(-1);
});

test('at most two months load at once, and only those still wanted', async () => {
  const s = server((path) => {
    if (path.startsWith('/api/v1/timeline/buckets')) {
      return { buckets: ['2024-05', '2024-04', '2024-03', '2024-02'].map((month) => ({ month, count: 1 })) };
    }
    const month = ['2024-05', '2024-04', '2024-03', '2024-02'].find((k) => path.includes(`from=${monthDays(k).from}`))!;
    return { assets: [asset(month, `${month}-10T00:00:00`)], next_cursor: null };
  });
  const store = new TimelineStore('timeline', '', s.get);
  await store.reload();
  s.hold();
  store.want([0, 1, 2]);
  expect(store.months.map((m) => m.state)).toEqual(['loading', 'loading', 'idle', 'idle']);
  store.want([3]); // scrolled on before the first two came back
  await s.release();
  await settle();
  expect(store.months.map((m) => m.state)).toEqual(['ready', 'ready', 'idle', 'ready']);
});

test('reload keeps loaded months on screen as stale and drops answers from before it', async () => {
  let count = 1;
  const s = server((path) => {
    if (path.startsWith('/api/v1/timeline/buckets')) return { buckets: [{ month: '2024-05', count }] };
    return { assets: Array.from({ length: count }, (_, i) => asset(`a${i}`, '2024-05-10T00:00:00')), next_cursor: null };
  });
  const store = new TimelineStore('timeline', '', s.get);
  await store.reload();
  store.want([0]);
  await settle();
  expect(store.loaded.length).toBe(1);

  store.want([]); // scrolled away
  count = 2;
  await store.reload();
  expect(store.months[0]).toMatchObject({ state: 'stale', count: 2 });
  expect(store.loaded.length).toBe(1);

  s.hold();
  store.want([0]);
  expect(store.months[0].state).toBe('loading');
  expect(store.loaded.length).toBe(1); // still shown while it loads
  count = 3;
  await store.reload(); // the month is asked for again; the answer to the first ask comes last
  await s.release();
  expect(store.months[0]).toMatchObject({ state: 'ready', count: 3 });
  expect(store.loaded.length).toBe(3);
});

test('remove, patch and replace change loaded assets; empty months go', async () => {
  const s = server((path) => {
    if (path.startsWith('/api/v1/timeline/buckets')) return { buckets: [{ month: '2024-05', count: 2 }, { month: '2024-04', count: 1 }] };
    if (path.includes(`from=${monthDays('2024-05').from}`)) {
      return { assets: [asset('a', '2024-05-10T00:00:00'), asset('b', '2024-05-09T00:00:00')], next_cursor: null };
    }
    return { assets: [asset('c', '2024-04-10T00:00:00')], next_cursor: null };
  });
  const store = new TimelineStore('timeline', '', s.get);
  await store.reload();
  store.want([0, 1]);
  await settle();
  store.patch(['a', 'c'], { is_favorite: true });
  expect(store.loaded.map((a) => a.is_favorite)).toEqual([true, false, true]);
  store.replace({ ...store.loaded[1], original_name: 'renamed' });
  expect(store.loaded[1].original_name).toBe('renamed');
  const april = store.months[1];
  store.remove(['a']);
  expect(store.months[1]).toBe(april); // untouched months keep their identity (and layout)
  expect(store.months.map((m) => [m.key, m.count])).toEqual([['2024-05', 1], ['2024-04', 1]]);
  store.remove(['c']);
  expect(store.months.map((m) => m.key)).toEqual(['2024-05']);
  expect(store.total).toBe(1);
});

test('favourites and search load page after page', async () => {
  const s = server((path) => {
    if (path.includes('cursor=p2')) return { assets: [asset('c', '2023-01-01T00:00:00')], next_cursor: null };
    return { assets: [asset('a', '2024-05-10T00:00:00'), asset('b', '2024-05-09T00:00:00')], next_cursor: 'p2' };
  });
  const store = new TimelineStore('search', 'camera=canon', s.get);
  expect(store.paged).toBe(true);
  await store.reload();
  expect(s.asked).toEqual(['/api/v1/search?camera=canon&limit=200']);
  expect(store.done).toBe(false);
  await store.more();
  expect(s.asked[1]).toBe('/api/v1/search?camera=canon&limit=200&cursor=p2');
  expect(store.done).toBe(true);
  expect(store.months.map((m) => [m.key, m.count])).toEqual([['2024-05', 2], ['2023-01', 1]]);
  await store.more();
  expect(s.asked.length).toBe(2);

  const favourites = server(() => ({ assets: [], next_cursor: null }));
  const fav = new TimelineStore('favorites', '', favourites.get);
  await fav.reload();
  expect(favourites.asked).toEqual(['/api/v1/assets?favorite=true&limit=200']);
  expect(fav.ready && fav.done && fav.months.length === 0).toBe(true);
});

test('a failed month can be tried again', async () => {
  let fail = true;
  const s = server((path) => {
    if (path.startsWith('/api/v1/timeline/buckets')) return { buckets: [{ month: '2024-05', count: 1 }] };
    if (fail) throw new Error('offline');
    return { assets: [asset('a', '2024-05-10T00:00:00')], next_cursor: null };
  });
  const store = new TimelineStore('trash', '', s.get);
  await store.reload();
  store.want([0]);
  await settle();
  expect(store.months[0].state).toBe('error');
  expect(store.failure).toBe('offline');
  fail = false;
  store.retry('2024-05');
  await settle();
  expect(store.months[0].state).toBe('ready');
  expect(store.failure).toBeNull();
});

test('monthsOfPage groups a page by month, newest first, though the page is in UTC order', () => {
  // 00:30 on 1 June in Berlin comes before 23:50 on 31 May in New York in UTC order.
  const page = [asset('ny', '2024-05-31T23:50:00'), asset('berlin', '2024-06-01T00:30:00'), asset('may', '2024-05-20T10:00:00')];
  expect(monthsOfPage(page).map((m) => [m.key, m.count, m.state, m.assets!.map((a) => a.id).join(',')])).toEqual([
    ['2024-06', 1, 'stale', 'berlin'], ['2024-05', 2, 'stale', 'ny,may']]);
});

test('withCounts: a month the first page holds whole is ready; shown months stay on screen as stale', () => {
  const shown: Month[] = [{ key: '2023-01', count: 1, assets: [asset('old', '2023-01-01T00:00:00')], state: 'ready' }];
  const page = monthsOfPage([asset('a', '2024-05-02T00:00:00'), asset('b', '2024-05-01T00:00:00'), asset('c', '2024-04-30T00:00:00')]);
  const months = withCounts(
    [{ month: '2024-05', count: 2 }, { month: '2024-04', count: 5 }, { month: '2023-01', count: 1 }, { month: '2022-01', count: 3 },
     { month: '2021-01', count: 0 }],
    shown, page);
  expect(months.map((m) => [m.key, m.count, m.state, m.assets?.length ?? null])).toEqual([
    ['2024-05', 2, 'ready', 2], ['2024-04', 5, 'stale', 1], ['2023-01', 1, 'stale', 1], ['2022-01', 3, 'idle', null]]);
  expect(months[0].assets).toBe(page[0].assets); // the same array: its layout is not made again
});

test('withFirstPage fills only months that have not started loading', () => {
  const months: Month[] = [
    { key: '2024-05', count: 1, assets: null, state: 'loading' },
    { key: '2024-04', count: 1, assets: null, state: 'idle' },
    { key: '2024-03', count: 2, assets: null, state: 'idle' },
    { key: '2024-02', count: 2, assets: null, state: 'idle' },
  ];
  const page = monthsOfPage([asset('a', '2024-05-02T00:00:00'), asset('b', '2024-04-02T00:00:00'), asset('c', '2024-03-02T00:00:00')]);
  expect(withFirstPage(months, page).map((m) => [m.key, m.state, m.assets?.length ?? null])).toEqual([
    ['2024-05', 'loading', null], ['2024-04', 'ready', 1], ['2024-03', 'stale', 1], ['2024-02', 'idle', null]]);
});

// A fake server whose answers wait, each path until released.
function gated(routes: (path: string) => unknown) {
  const asked: string[] = [];
  const gates = new Map<string, () => void>();
  const get: Get = <T>(path: string) => {
    asked.push(path);
    return new Promise<T>((resolve) => gates.set(path, () => resolve(routes(path) as T)));
  };
  const release = async (prefix: string) => {
    for (const [path, open] of gates) {
      if (path.startsWith(prefix)) {
        gates.delete(path);
        open();
      }
    }
    await settle();
  };
  return { get, asked, release };
}

test('the first page shows before the counts; the months it holds whole are not asked for again', async () => {
  const s = gated((path) => {
    if (path.startsWith('/api/v1/assets')) {
      return { assets: [asset('a', '2024-05-03T00:00:00'), asset('b', '2024-05-02T00:00:00'), asset('c', '2024-04-30T00:00:00')],
               next_cursor: 'more' };
    }
    if (path.startsWith('/api/v1/timeline/buckets')) {
      return { buckets: [{ month: '2024-05', count: 2 }, { month: '2024-04', count: 3 }, { month: '2023-01', count: 9 }] };
    }
    return { assets: [asset('c', '2024-04-30T00:00:00'), asset('d', '2024-04-20T00:00:00'), asset('e', '2024-04-10T00:00:00')],
             next_cursor: null };
  });
  const store = new TimelineStore('timeline', '', s.get);
  const reloaded = store.reload();
  expect(s.asked).toEqual(['/api/v1/assets?visibility=timeline&limit=100', '/api/v1/timeline/buckets?visibility=timeline']);
  expect(firstRequests('timeline')).toEqual(s.asked);

  await s.release('/api/v1/assets');
  expect(store.ready && store.provisional).toBe(true);
  expect(store.months.map((m) => [m.key, m.count])).toEqual([['2024-05', 2], ['2024-04', 1]]);
  expect(store.loaded.map((a) => a.id)).toEqual(['a', 'b', 'c']);
  store.want([0, 1]);
  expect(s.asked.length).toBe(2); // nothing loads before the counts

  await s.release('/api/v1/timeline/buckets');
  expect(store.provisional).toBe(false);
  expect(store.months.map((m) => [m.key, m.count, m.state])).toEqual([
    ['2024-05', 2, 'ready'], ['2024-04', 3, 'loading'], ['2023-01', 9, 'idle']]);
  expect(store.loaded.map((a) => a.id)).toEqual(['a', 'b', 'c']); // April's part stays while April loads
  expect(s.asked.slice(2)).toEqual(['/api/v1/search?visibility=timeline&from=2024-03-30&to=2024-05-02&limit=1000']);
  await s.release('/api/v1/search');
  await reloaded;
  expect(store.loaded.map((a) => a.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
});

test('counts that come before the first page: the page fills the months not loading yet', async () => {
  const s = gated((path) => {
    if (path.startsWith('/api/v1/assets')) {
      return { assets: [asset('a', '2024-05-03T00:00:00'), asset('b', '2024-04-30T00:00:00')], next_cursor: null };
    }
    if (path.startsWith('/api/v1/timeline/buckets')) return { buckets: [{ month: '2024-05', count: 1 }, { month: '2024-04', count: 1 }] };
    return { assets: [asset('a', '2024-05-03T00:00:00')], next_cursor: null };
  });
  const store = new TimelineStore('timeline', '', s.get);
  const reloaded = store.reload();
  await s.release('/api/v1/timeline/buckets');
  expect(store.provisional).toBe(false);
  store.want([0]);
  expect(store.months.map((m) => m.state)).toEqual(['loading', 'idle']);
  await s.release('/api/v1/assets');
  await reloaded;
  expect(store.months.map((m) => m.state)).toEqual(['loading', 'ready']);
  await s.release('/api/v1/search');
  expect(store.months.map((m) => m.state)).toEqual(['ready', 'ready']);
  expect(store.loaded.map((a) => a.id)).toEqual(['a', 'b']);
});

test('an empty first page waits for the counts', async () => {
  const s = gated((path) => (path.startsWith('/api/v1/assets') ? { assets: [], next_cursor: null } : { buckets: [] }));
  const store = new TimelineStore('trash', '', s.get);
  const reloaded = store.reload();
  await s.release('/api/v1/assets');
  expect(store.ready || store.provisional).toBe(false);
  await s.release('/api/v1/timeline/buckets');
  await reloaded;
  expect(store.ready && store.months.length === 0).toBe(true);
});

test('firstRequests names what a new store asks for first', () => {
  expect(firstRequests('archive')).toEqual(['/api/v1/assets?visibility=archive&limit=100', '/api/v1/timeline/buckets?visibility=archive']);
  expect(firstRequests('favorites')).toEqual(['/api/v1/assets?favorite=true&limit=200']);
  expect(firstRequests('search')).toEqual([]);
});
