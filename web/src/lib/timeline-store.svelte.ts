// What a timeline page has loaded, month by month.
//
// The timeline, the archive and the trash know every month up front from
// GET /api/v1/timeline/buckets (so the page can size its whole scroll range at once) and load a
// month's assets only when the page asks for it (`want`), through GET /api/v1/search with that
// month's days. Favourites and search results have no month counts: they load page after page
// from the start (`more`) and their months are whatever the pages held.
//
// Months are replaced, never changed in place, so a layout can be cached per assets array.
// Not for use from several pages at once: each page makes its own store.
import { api, type Asset } from './api';

export type View = 'timeline' | 'favorites' | 'archive' | 'trash' | 'search';

// idle: only the count is known. stale: assets from before a reload, shown until reloaded.
export type MonthState = 'idle' | 'loading' | 'ready' | 'stale' | 'error';

export interface Month {
  key: string; // "2024-05", of the camera's clock (taken_at_local)
  count: number;
  assets: readonly Asset[] | null;
  state: MonthState;
}

export type Get = <T>(path: string) => Promise<T>;

interface Page {
  assets: Asset[];
  next_cursor: string | null;
}

const visibilities: Partial<Record<View, string>> = { timeline: 'timeline', archive: 'archive', trash: 'trash' };
const monthPageSize = 1000; // the server's largest page
const pagedPageSize = 200;
const parallelMonths = 2;

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

export class TimelineStore {
  months = $state.raw<Month[]>([]);
  // The first answer has arrived: an empty `months` then means there is nothing to show.
  ready = $state(false);
  // Paged views: no page is left to load. Month views: always.
  done = $state(false);
  failure = $state<string | null>(null);
  loaded = $derived(this.months.flatMap((m) => m.assets ?? []));
  total = $derived(this.months.reduce((sum, m) => sum + m.count, 0));

  readonly paged: boolean;
  #generation = 0; // answers to requests made before the last reload are dropped
  #wanted: readonly number[] = [];
  #running = 0;
  #paging = false;
  #cursor: string | null = null;

  constructor(readonly view: View, readonly query = '', private readonly get: Get = (path) => api('GET', path)) {
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
    try {
      const { buckets } = await this.get<{ buckets: { month: string; count: number }[] }>(
        `/api/v1/timeline/buckets?visibility=${visibilities[this.view]}`);
      if (generation !== this.#generation) return;
      const before = new Map(this.months.map((m) => [m.key, m]));
      this.months = buckets.filter((b) => b.count > 0).map((b) => {
        const old = before.get(b.month);
        return old?.assets ? { key: b.month, count: b.count, assets: old.assets, state: 'stale' }
                           : { key: b.month, count: b.count, assets: null, state: 'idle' };
      });
      this.ready = true;
      this.#pump();
    } catch (e) {
      if (generation === this.#generation) this.failure = (e as Error).message;
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
      const cursor = this.#cursor ? `&cursor=${encodeURIComponent(this.#cursor)}` : '';
      const page = this.view === 'search'
        ? await this.get<Page>(`/api/v1/search?${this.query}&limit=${pagedPageSize}${cursor}`)
        : await this.get<Page>(`/api/v1/assets?favorite=true&limit=${pagedPageSize}${cursor}`);
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
    if (this.paged) return;
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
