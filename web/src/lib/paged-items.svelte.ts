// A list loaded page by page through a cursor (an album's items, a share link's items), with the
// changes a page makes to it before the server is asked again. Not shared between pages: each
// page makes its own.
import type { ItemsPage } from './albums';

export type PageLoader<T> = (cursor: string | null) => Promise<{ assets: T[]; next_cursor: string | null }>;

export class PagedItems<T extends { id: string } = ItemsPage['assets'][number]> {
  items = $state.raw<T[]>([]);
  // The first page has arrived (or failed): an empty `items` then means there is nothing.
  ready = $state(false);
  done = $state(false); // no page is left
  failure = $state<string | null>(null);

  #cursor: string | null = null;
  #loading = false;
  #generation = 0; // answers to requests made before the last reload are dropped

  constructor(private readonly load: PageLoader<T>) {}

  // From the first page again; what is on screen stays until the first page replaces it.
  async reload(): Promise<void> {
    this.#generation++;
    this.#cursor = null;
    this.#loading = false;
    this.done = false;
    this.failure = null;
    await this.#next(true);
  }

  // The next page, unless one is on its way or none is left.
  async more(): Promise<void> {
    if (this.done || this.#loading) return;
    await this.#next(false);
  }

  // Every page, for work that needs the whole list (moving items, "select all").
  async all(): Promise<void> {
    while (!this.done && !this.failure) {
      if (this.#loading) await new Promise((r) => setTimeout(r, 20));
      else await this.more();
    }
  }

  replace(item: T) {
    this.items = this.items.map((x) => (x.id === item.id ? item : x));
  }

  remove(ids: Iterable<string>) {
    const gone = new Set(ids);
    this.items = this.items.filter((x) => !gone.has(x.id));
  }

  // Puts the items in this order (ids of loaded items); items not named keep their place after.
  reorder(order: readonly string[]) {
    const byId = new Map(this.items.map((x) => [x.id, x]));
    const named = order.map((id) => byId.get(id)).filter((x): x is T => !!x);
    const seen = new Set(named.map((x) => x.id));
    this.items = [...named, ...this.items.filter((x) => !seen.has(x.id))];
  }

  async #next(first: boolean) {
    const generation = this.#generation;
    this.#loading = true;
    try {
      const page = await this.load(this.#cursor);
      if (generation !== this.#generation) return;
      const seen = first ? new Set<string>() : new Set(this.items.map((x) => x.id));
      const fresh = page.assets.filter((x) => !seen.has(x.id));
      this.items = first ? fresh : [...this.items, ...fresh];
      this.#cursor = page.next_cursor;
      this.done = !page.next_cursor;
    } catch (e) {
      if (generation !== this.#generation) return;
      this.failure = (e as Error).message;
      this.done = true;
    } finally {
      if (generation === this.#generation) {
        this.#loading = false;
        this.ready = true;
      }
    }
  }
}
