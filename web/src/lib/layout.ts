// Geometry of the timeline: a month's photos as justified rows (equal height within a row, rows
// filling the width, aspect ratios kept) under a header per day, an estimate of a month's height
// before its photos are loaded, and which months and rows meet a window of the scroll range.
// Pure functions of their inputs; positions are CSS pixels from the top of the month (or of the
// whole timeline for `offsetsOf`).
import justifiedLayout from 'justified-layout';
import { dayLabel } from './timeline';

export interface Sized {
  id: string;
  taken_at_local: string; // "2023-01-02T03:04:05.000"; the first 10 characters are the day
  media?: { width?: number; height?: number };
}

export interface GridMetrics {
  width: number; // of the grid, without the scrubber
  rowHeight: number; // target; a row may be up to 25 % taller or shorter to fill the width
  gap: number; // between tiles, across and down
  headerHeight: number; // a day's header, including the space above it
}

// Rows shrink on narrow screens so a phone still shows two or three photos across.
export function gridMetrics(width: number): GridMetrics {
  const w = Math.max(200, Math.floor(width));
  if (w < 500) return { width: w, rowHeight: 110, gap: 2, headerHeight: 44 };
  if (w < 900) return { width: w, rowHeight: 150, gap: 4, headerHeight: 52 };
  return { width: w, rowHeight: 190, gap: 4, headerHeight: 56 };
}

// About how many tiles a window this big shows of a grid: rows of the grid's height filled with
// photos of 3:2 on average (day headers make it fewer). For asking for the first screen's
// thumbnails before it is laid out.
export function tilesInWindow(width: number, height: number): number {
  const { rowHeight, gap } = gridMetrics(width);
  const rows = Math.ceil(height / (rowHeight + gap));
  const perRow = Math.ceil(width / (rowHeight * 1.5 + gap));
  return rows * perRow;
}

// Unknown sizes (not yet read, or unreadable files) show as squares; extreme panoramas and
// slivers are cropped to a ratio that still leaves room for neighbours.
export function aspectRatio(asset: Sized): number {
  const w = asset.media?.width ?? 0;
  const h = asset.media?.height ?? 0;
  if (!(w > 0 && h > 0)) return 1;
  return Math.min(3, Math.max(0.4, w / h));
}

export interface TileItem {
  kind: 'tile';
  index: number; // into the month's assets
  left: number;
  width: number; // the row's height is the tile's height
}

export interface DayItem {
  kind: 'day';
  key: string; // "2023-01-02"
  label: string; // "Mon, 2 Jan 2023"
  first: number; // index of the day's first asset in the month
  end: number; // one past its last
}

export interface Row {
  top: number;
  height: number;
  items: TileItem[] | [DayItem];
}

export interface MonthLayout {
  height: number;
  rows: Row[]; // top to bottom, never overlapping: `top` and `top + height` both increase
}

// Newest first, as the server lists them; a day starts whenever the date changes.
export function layoutMonth(assets: readonly Sized[], m: GridMetrics): MonthLayout {
  const rows: Row[] = [];
  let y = 0;
  let first = 0;
  while (first < assets.length) {
    const key = assets[first].taken_at_local.slice(0, 10);
    let end = first + 1;
    while (end < assets.length && assets[end].taken_at_local.slice(0, 10) === key) end++;
    rows.push({ top: y, height: m.headerHeight, items: [{ kind: 'day', key, label: dayLabel(key), first, end }] });
    y += m.headerHeight;
    y = justify(assets, first, end, m, y, rows);
    first = end;
  }
  return { height: y, rows };
}

// One run of justified rows without headers, in the order given (an album's own order).
export function layoutFlat(assets: readonly Sized[], m: GridMetrics): MonthLayout {
  const rows: Row[] = [];
  return { height: justify(assets, 0, assets.length, m, 0, rows), rows };
}

// Appends the rows of assets[first, end) starting at y; returns where they end.
function justify(assets: readonly Sized[], first: number, end: number, m: GridMetrics, y: number,
                 rows: Row[]): number {
  if (end <= first) return y;
  const ratios = assets.slice(first, end).map(aspectRatio);
  const result = justifiedLayout(ratios, {
    containerWidth: m.width,
    containerPadding: 0,
    boxSpacing: m.gap,
    targetRowHeight: m.rowHeight,
  });
  // The boxes of one row share their top and height.
  let row: Row | null = null;
  result.boxes.forEach((box, i) => {
    if (!row || row.top !== y + box.top) {
      row = { top: y + box.top, height: box.height, items: [] };
      rows.push(row);
    }
    (row.items as TileItem[]).push({ kind: 'tile', index: first + i, left: box.left, width: box.width });
  });
  return y + result.containerHeight;
}

// Until a month's photos arrive its height is guessed from its count, so the scroll range and
// the scrubber are about right at once; the guess assumes mostly landscape photos spread over
// about √count days (a day's last row is on average half empty).
export function estimateMonthHeight(count: number, m: GridMetrics): number {
  if (count <= 0) return 0;
  const days = Math.min(31, Math.ceil(Math.sqrt(count)));
  const tileWidth = m.rowHeight * 1.3 + m.gap;
  const rows = Math.ceil((count * tileWidth) / m.width + days * 0.5);
  return Math.round(days * m.headerHeight + rows * (m.rowHeight + m.gap));
}

// offsets[i] is where month i starts; offsets[n] is the total height.
export function offsetsOf(heights: readonly number[]): number[] {
  const offsets = new Array<number>(heights.length + 1);
  offsets[0] = 0;
  for (let i = 0; i < heights.length; i++) offsets[i + 1] = offsets[i] + heights[i];
  return offsets;
}

// The month holding position y (clamped to the first and last month); -1 when there are none.
export function monthAt(offsets: readonly number[], y: number): number {
  const n = offsets.length - 1;
  if (n <= 0) return -1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// The months that meet [top, bottom) as [first, last] (inclusive); null when none do.
export function monthsBetween(offsets: readonly number[], top: number, bottom: number): [number, number] | null {
  const n = offsets.length - 1;
  if (n <= 0 || bottom <= 0 || top >= offsets[n] || bottom <= top) return null;
  return [monthAt(offsets, top), monthAt(offsets, bottom - 0.001)];
}

// The rows of one month that meet [top, bottom), both relative to the month's top.
export function rowsBetween(rows: readonly Row[], top: number, bottom: number): Row[] {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].top + rows[mid].height <= top) lo = mid + 1;
    else hi = mid;
  }
  const out: Row[] = [];
  for (let i = lo; i < rows.length && rows[i].top < bottom; i++) out.push(rows[i]);
  return out;
}

// Where the asset at `index` of the month sits, relative to the month's top; null when absent.
export function tileTop(layout: MonthLayout, index: number): { top: number; height: number } | null {
  for (const row of layout.rows) {
    const item = row.items[0];
    if (item.kind === 'tile' && item.index <= index && index < item.index + row.items.length) {
      return { top: row.top, height: row.height };
    }
  }
  return null;
}

// Layouts are remembered per assets array (months are replaced, never changed in place) and
// redone when the grid's metrics change.
export class LayoutCache {
  private readonly layouts = new WeakMap<readonly Sized[], { metrics: GridMetrics; layout: MonthLayout }>();

  get(assets: readonly Sized[], metrics: GridMetrics): MonthLayout {
    const hit = this.layouts.get(assets);
    if (hit && sameMetrics(hit.metrics, metrics)) return hit.layout;
    const layout = layoutMonth(assets, metrics);
    this.layouts.set(assets, { metrics, layout });
    return layout;
  }
}

function sameMetrics(a: GridMetrics, b: GridMetrics): boolean {
  return a.width === b.width && a.rowHeight === b.rowHeight && a.gap === b.gap && a.headerHeight === b.headerHeight;
}
