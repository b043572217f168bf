// What a timeline page has loaded, month by month.
//
// The timeline, the archive and the trash know every month up front from
// GET /api/v1/timeline/buckets (so the page can size its whole scroll range at once) and load a
// month's assets only when the page asks for it (`want`), through GET /api/v1/search with that
// month's days. The counts take a while on a large library, so the first load also asks for the
// newest page of assets (GET /api/v1/assets) and shows it at once, `provisional` until the counts
// come; the months it holds whole need no other request. Favourites and search results have no
// month counts: they load page after page from the start (`more`) and their months are whatever
// the pages held.
//
// Months are replaced, never changed in place, so a layout can be cached per assets array.
// Not for use from several pages at once: each page makes its own store.
import type { Asset } from './api';
import { early, type Get } from './early';

export type View = 'timeline' | 'favorites' | 'archive' | 'trash' | 'search';

// idle: only the count is known. stale: assets shown until the month is loaded (from before a
// reload, or the part of the month the first page held).
export type MonthState = 'idle' | 'loading' | 'ready' | 'stale' | 'error';

export interface Month {
  key: string; // "2024-05", of the camera's clock (taken_at_local)
  count: number;
  assets: readonly Asset[] | null;
  state: MonthState;
}

export type { Get } from './early';

interface Page {
  assets: Asset[];
  next_cursor: string | null;
}

export interface Bucket {
  month: string; // "2024-05"
  count: number;
}

const visibilities: Partial<Record<View, string>> = { timeline: 'timeline', archive: 'archive', trash: 'trash' };
const monthPageSize = 1000; // the server's largest page
const pagedPageSize = 200;
const firstPageSize = 100; // more than a large window shows
const parallelMonths = 2;

function bucketsPath(view: View): string {
  return `/api/v1/timeline/buckets?visibility=${visibilities[view]}`;
}

function firstPagePath(view: View): string {
  return `/api/v1/assets?visibility=${visibilities[view]}&limit=${firstPageSize}`;
}

function pagePath(view: View, query: string, cursor: string | null): string {
  const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
  return view === 'search'
    ? `/api/v1/search?${query}&limit=${pagedPageSize}${after}`
    : `/api/v1/assets?favorite=true&limit=${pagedPageSize}${after}`;
}

// The requests a new store of this view makes first, for starting them early (lib/early.ts):
// the first page of assets, then (month views) the counts. None for search: its page shows the
// form first.
export function firstRequests(view: View): string[] {
  if (view === 'search') return [];
  return visibilities[view] ? [firstPagePath(view), bucketsPath(view)] : [pagePath(view, '', null)];
}

// Search compares days with the UTC instant (`taken_at`) while months go by the camera's clock
// (`taken_at_local`), at most a day apart; so a month is asked for with two days either side and
// the answer filtered by `taken_at_local`.
export function monthDays(key: string): { from: string; to: string } {
  const [y, m] = key.split('-').map(Number);
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return { from: day(new Date(Date.UTC(y, m - 1, 1 - 2))), to: day(new Date(Date.UTC(y, m, 2))) };
}

// Adds a page (newest first, continuing the months so far) to the months it belongs to.
export function withPage(months: readonly Month[], assets: readonly Asset[]): Month[] {
  const out = months.slice();
  for (const asset of assets) {
    const key = asset.taken_at_local.slice(0, 7);
    const last = out[out.length - 1];
    if (last && last.key === key) {
      const merged = [...(last.assets ?? []), asset];
      out[out.length - 1] = { ...last, assets: merged, count: merged.length };
    } else {
      out.push({ key, count: 1, assets: [asset], state: 'ready' });
    }
  }
  return out;
}

// A page of assets (newest first) as months, newest month first, each in the page's order and
// 'stale' (maybe only part of the month). Unlike withPage a month may come back after another:
// the page goes by the UTC instant, months by the camera's clock.
export function monthsOfPage(assets: readonly Asset[]): Month[] {
  const byKey = new Map<string, Asset[]>();
  for (const asset of assets) {
    const key = asset.taken_at_local.slice(0, 7);
    const list = byKey.get(key);
    if (list) list.push(asset);
    else byKey.set(key, [asset]);
  }
  return [...byKey.keys()].sort().reverse().map((key) => {
    const list = byKey.get(key)!;
    return { key, count: list.length, assets: list, state: 'stale' };
  });
}

// The months the counts name, newest first (months they leave out go). A month of the first
// page (`page`, from monthsOfPage) takes its assets from it: 'ready' when they are the whole
// month, else 'stale'. Another month keeps the assets `shown` had for it, 'stale' (loaded again
// when wanted); the rest are 'idle'.
export function withCounts(buckets: readonly Bucket[], shown: readonly Month[], page: readonly Month[] = []): Month[] {
  const before = new Map(shown.map((m) => [m.key, m]));
  const first = new Map(page.map((m) => [m.key, m]));
  return buckets.filter((b) => b.count > 0).map((b): Month => {
    const assets = first.get(b.month)?.assets ?? before.get(b.month)?.assets;
    if (!assets) return { key: b.month, count: b.count, assets: null, state: 'idle' };
    const whole = first.has(b.month) && assets.length === b.count;
    return { key: b.month, count: b.count, assets, state: whole ? 'ready' : 'stale' };
  });
}

// The first page (from monthsOfPage) put into counted months that have not started loading:
// whole months 'ready', a part 'stale'.
export function withFirstPage(months: readonly Month[], page: readonly Month[]): Month[] {
  const first = new Map(page.map((m) => [m.key, m.assets]));
  return months.map((m) => {
    const assets = m.state === 'idle' ? first.get(m.key) : null;
    return assets ? { ...m, assets, state: assets.length === m.count ? 'ready' : 'stale' } : m;
  });
}

export class TimelineStore {
  months = $state.raw<Month[]>([]);
  // The first answer has arrived: an empty `months` then means there is nothing to show.
  ready = $state(false);
  // Paged views: no page is left to load. Month views: always.
  done = $state(false);
  failure = $state<string | null>(null);
  // Month views: the first page is shown and the counts are on their way. The months are only
  // those the page holds (no scrubber yet) and none loads until the counts come.
  provisional = $state(false);
  // Month views, until the counts come: the timeline may go on past the first page (false once
  // that page turned out to be all of it).
  continues = $state(true);
  loaded = $derived(this.months.flatMap((m) => m.assets ?? []));
  total = $derived(this.months.reduce((sum, m) => sum + m.count, 0));

  readonly paged: boolean;
  #generation = 0; // answers to requests made before the last reload are dropped
  #wanted: readonly number[] = [];
  #running = 0;
  #paging = false;
  #cursor: string | null = null;

  constructor(readonly view: View, readonly query = '', private readonly get: Get = (path) => early.take(path)) {
    this.paged = !visibilities[view];
    if (!this.paged) this.done = true;
  }

  // Loads the months (or the first page) again; loaded months stay on screen, marked stale,
  // until they are loaded again.
  async reload(): Promise<void> {
    const generation = ++this.#generation;
    this.#running = 0;
    this.#paging = false;
    this.failure = null;
    if (this.paged) {
      this.#cursor = null;
      this.done = false;
      this.months = [];
      await this.more();
      return;
    }
    // Nothing on screen yet: the newest page is asked for too, and shown if it comes first.
    let counted = false;
    let page: Month[] = [];
    const first = this.months.length > 0 ? null : (async () => {
      try {
        const answer = await this.get<Page>(firstPagePath(this.view));
        if (generation !== this.#generation || answer.assets.length === 0) return;
        page = monthsOfPage(answer.assets);
        if (counted) {
          this.months = withFirstPage(this.months, page);
          this.#pump();
        } else {
          this.months = page;
          this.provisional = true;
          this.continues = answer.next_cursor !== null;
          this.ready = true;
        }
      } catch {
        // The months load one by one once counted.
      }
    })();
    try {
      const { buckets } = await this.get<{ buckets: Bucket[] }>(bucketsPath(this.view));
      if (generation !== this.#generation) return;
      counted = true;
      this.months = withCounts(buckets, this.months, page);
      this.provisional = false;
      this.ready = true;
      this.#pump();
    } catch (e) {
      if (generation === this.#generation) this.failure = (e as Error).message;
    } finally {
      await first;
    }
  }

  // The months the page shows or is about to, most wanted first. Loads up to two at a time; a
  // month that scrolled away before a slot came free is not loaded.
  want(indices: readonly number[]) {
    this.#wanted = indices;
    this.#pump();
  }

  // Paged views: the next page, unless one is on its way or none is left.
  async more(): Promise<void> {
    if (!this.paged || this.#paging || this.done) return;
    const generation = this.#generation;
    this.#paging = true;
    try {
      const page = await this.get<Page>(pagePath(this.view, this.query, this.#cursor));
      if (generation !== this.#generation) return;
      this.months = withPage(this.months, page.assets);
      this.#cursor = page.next_cursor;
      this.done = !page.next_cursor;
      this.ready = true;
    } catch (e) {
      if (generation !== this.#generation) return;
      this.failure = (e as Error).message;
      this.done = true;
      this.ready = true;
    } finally {
      if (generation === this.#generation) this.#paging = false;
    }
  }

  // A month whose load failed, tried again.
  retry(key: string) {
    this.#update(key, (m) => ({ ...m, state: m.assets ? 'stale' : 'idle' }));
    this.failure = null;
    this.#pump();
  }

  replace(asset: Asset) {
    this.#mapAssets((a) => (a.id === asset.id ? asset : a));
  }

  patch(ids: Iterable<string>, change: Partial<Asset>) {
    const set = new Set(ids);
    this.#mapAssets((a) => (set.has(a.id) ? { ...a, ...change } : a));
  }

  // Takes assets off the page (moved to the trash, archived, ...); a month left empty goes too.
  remove(ids: Iterable<string>) {
    const gone = new Set(ids);
    this.months = this.months
      .map((m) => {
        if (!m.assets) return m;
        const kept = m.assets.filter((a) => !gone.has(a.id));
        const removed = m.assets.length - kept.length;
        if (removed === 0) return m;
        return { ...m, assets: kept, count: m.state === 'ready' ? kept.length : Math.max(kept.length, m.count - removed) };
      })
      .filter((m) => m.count > 0);
  }

  // Index of the month holding the asset; -1 when it is not loaded.
  monthOf(id: string): number {
    return this.months.findIndex((m) => m.assets?.some((a) => a.id === id));
  }

  #pump() {
    if (this.paged || this.provisional) return;
    for (const i of this.#wanted) {
      if (this.#running >= parallelMonths) break;
      const month = this.months[i];
      if (month && (month.state === 'idle' || month.state === 'stale')) void this.#load(month.key);
    }
  }

  async #load(key: string) {
    const generation = this.#generation;
    this.#running++;
    this.#update(key, (m) => ({ ...m, state: 'loading' }));
    try {
      const { from, to } = monthDays(key);
      const assets: Asset[] = [];
      let cursor: string | null = null;
      do {
        const after: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page: Page = await this.get<Page>(
          `/api/v1/search?visibility=${visibilities[this.view]}&from=${from}&to=${to}&limit=${monthPageSize}${after}`);
        if (generation !== this.#generation) return;
        for (const a of page.assets) if (a.taken_at_local.startsWith(key)) assets.push(a);
        cursor = page.next_cursor;
      } while (cursor);
      if (assets.length === 0) this.months = this.months.filter((m) => m.key !== key);
      else this.#update(key, (m) => ({ ...m, assets, count: assets.length, state: 'ready' }));
    } catch (e) {
      if (generation !== this.#generation) return;
      this.#update(key, (m) => ({ ...m, state: 'error' }));
      this.failure = (e as Error).message;
    } finally {
      if (generation === this.#generation) {
        this.#running--;
        this.#pump();
      }
    }
  }

  #update(key: string, change: (m: Month) => Month) {
    this.months = this.months.map((m) => (m.key === key ? change(m) : m));
  }

  #mapAssets(change: (a: Asset) => Asset) {
    this.months = this.months.map((m) => {
      if (!m.assets) return m;
      let changed = false;
      const assets = m.assets.map((a) => {
        const next = change(a);
        if (next !== a) changed = true;
        return next;
      });
      return changed ? { ...m, assets } : m;
    });
  }
}
