// Which assets are selected, as pure steps from one selection to the next: a click toggles, a
// shift-click takes the run from the last clicked asset (the anchor), a drag takes the run from
// where it started to where the pointer is, a day's check takes or drops the whole day. Each step
// returns a new set and leaves its input alone. `order` is the loaded assets, top to bottom.

export type Ids = ReadonlySet<string>;

export function toggled(ids: Ids, id: string): Set<string> {
  const next = new Set(ids);
  if (!next.delete(id)) next.add(id);
  return next;
}

// The ids from a to b, both included, in timeline order whichever comes first; empty when either
// is not in `order`.
export function between(order: readonly string[], a: string, b: string): string[] {
  const i = order.indexOf(a);
  const j = order.indexOf(b);
  if (i < 0 || j < 0) return [];
  return order.slice(Math.min(i, j), Math.max(i, j) + 1);
}

// Shift-click: adds the run from the anchor to `id`. Without a usable anchor it toggles `id`.
export function extended(ids: Ids, order: readonly string[], anchor: string | null, id: string): Set<string> {
  const run = anchor ? between(order, anchor, id) : [];
  if (run.length === 0) return toggled(ids, id);
  const next = new Set(ids);
  for (const x of run) next.add(x);
  return next;
}

// During a drag the selection is the one from before the drag, with the run from `start` to
// `current` added (or removed, when the drag started on a selected asset).
export function dragged(before: Ids, order: readonly string[], start: string, current: string,
                        mode: 'add' | 'remove'): Set<string> {
  const next = new Set(before);
  for (const x of between(order, start, current)) {
    if (mode === 'add') next.add(x);
    else next.delete(x);
  }
  return next;
}

// A day's check: when the whole group is selected it is dropped, otherwise all of it is taken.
export function groupToggled(ids: Ids, group: readonly string[]): Set<string> {
  const next = new Set(ids);
  if (group.length > 0 && group.every((x) => ids.has(x))) {
    for (const x of group) next.delete(x);
  } else {
    for (const x of group) next.add(x);
  }
  return next;
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
