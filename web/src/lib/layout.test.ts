import { describe, expect, test } from 'vitest';
import {
  aspectRatio, estimateMonthHeight, gridMetrics, LayoutCache, layoutFlat, layoutMonth, monthAt, monthsBetween, offsetsOf,
  rowsBetween, tilesInWindow, tileTop, type GridMetrics, type Sized, type TileItem,
} from './layout';

const metrics: GridMetrics = { width: 1000, rowHeight: 200, gap: 4, headerHeight: 50 };

function photo(id: string, day: string, width?: number, height?: number): Sized {
  return { id, taken_at_local: `${day}T12:00:00.000`, media: width && height ? { width, height } : {} };
}

describe('aspectRatio', () => {
  test('uses the displayed size, square when unknown, clamped for panoramas', () => {
    expect(aspectRatio(photo('a', '2024-01-01', 4000, 3000))).toBeCloseTo(4 / 3);
    expect(aspectRatio(photo('a', '2024-01-01'))).toBe(1);
    expect(aspectRatio({ id: 'a', taken_at_local: '2024-01-01T00:00:00' })).toBe(1);
    expect(aspectRatio(photo('a', '2024-01-01', 10000, 1000))).toBe(3);
    expect(aspectRatio(photo('a', '2024-01-01', 100, 1000))).toBe(0.4);
  });
});

describe('layoutMonth', () => {
  test('a header per day, then rows that fill the width and keep aspect ratios', () => {
    const assets = [
      ...Array.from({ length: 7 }, (_, i) => photo(`a${i}`, '2024-05-09', 3000, 2000)),
      photo('b0', '2024-05-02', 2000, 3000),
    ];
    const layout = layoutMonth(assets, metrics);
    const kinds = layout.rows.map((r) => r.items[0].kind);
    expect(kinds[0]).toBe('day');
    expect(layout.rows[0].items[0]).toMatchObject({ key: '2024-05-09', label: 'Thu, 9 May 2024', first: 0, end: 7 });
    const secondDay = kinds.lastIndexOf('day');
    expect(layout.rows[secondDay].items[0]).toMatchObject({ key: '2024-05-02', first: 7, end: 8 });

    // Every asset once, in order.
    const indices = layout.rows.flatMap((r) => r.items.filter((i) => i.kind === 'tile').map((i) => (i as TileItem).index));
    expect(indices).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);

    // A full row spans the width; a tile's width over the row's height is its aspect ratio.
    const full = layout.rows[1];
    const tiles = full.items as TileItem[];
    const last = tiles[tiles.length - 1];
    expect(last.left + last.width).toBeCloseTo(metrics.width, 0);
    for (const t of tiles) expect(t.width / full.height).toBeCloseTo(1.5, 1);
    expect(full.height).toBeGreaterThan(150);
    expect(full.height).toBeLessThan(250);

    // Rows are stacked without overlap and the month's height ends at the last row.
    for (let i = 1; i < layout.rows.length; i++) {
      expect(layout.rows[i].top).toBeGreaterThanOrEqual(layout.rows[i - 1].top + layout.rows[i - 1].height);
    }
    const end = layout.rows[layout.rows.length - 1];
    expect(layout.height).toBeCloseTo(end.top + end.height);
  });

  test('an empty month has no height', () => {
    expect(layoutMonth([], metrics)).toEqual({ height: 0, rows: [] });
  });
});

describe('layoutFlat', () => {
  test('justified rows in the order given, without day headers', () => {
    const assets = [
      photo('c', '2020-01-01', 3000, 2000),
      photo('a', '2024-05-09', 2000, 3000),
      ...Array.from({ length: 9 }, (_, i) => photo(`b${i}`, '2022-03-0' + (i + 1), 3000, 2000)),
    ];
    const layout = layoutFlat(assets, metrics);
    expect(layout.rows.every((r) => r.items.every((i) => i.kind === 'tile'))).toBe(true);
    const indices = layout.rows.flatMap((r) => r.items.map((i) => (i as TileItem).index));
    expect(indices).toEqual(assets.map((_, i) => i));
    expect(layout.rows[0].top).toBe(0);
    const first = layout.rows[0].items as TileItem[];
    const last = first[first.length - 1];
    expect(last.left + last.width).toBeCloseTo(metrics.width, 0);
    const end = layout.rows[layout.rows.length - 1];
    expect(layout.height).toBeCloseTo(end.top + end.height, 0);
    expect(tileTop(layout, 10)).toEqual({ top: end.top, height: end.height });
  });

  test('nothing to lay out', () => {
    expect(layoutFlat([], metrics)).toEqual({ height: 0, rows: [] });
  });
});

describe('estimates and offsets', () => {
  test('the estimate grows with the count and is close for a typical month', () => {
    expect(estimateMonthHeight(0, metrics)).toBe(0);
    expect(estimateMonthHeight(10, metrics)).toBeLessThan(estimateMonthHeight(100, metrics));
    const assets = Array.from({ length: 120 }, (_, i) =>
      photo(`p${i}`, `2024-05-${String(1 + Math.floor(i / 12)).padStart(2, '0')}`, i % 3 ? 4000 : 3000, i % 3 ? 3000 : 4000));
    const real = layoutMonth(assets, metrics).height;
    const guess = estimateMonthHeight(120, metrics);
    expect(guess / real).toBeGreaterThan(0.6);
    expect(guess / real).toBeLessThan(1.6);
  });

  test('offsets, the month at a position and the months in a window', () => {
    const offsets = offsetsOf([100, 50, 200]);
    expect(offsets).toEqual([0, 100, 150, 350]);
    expect(monthAt(offsets, -10)).toBe(0);
    expect(monthAt(offsets, 0)).toBe(0);
    expect(monthAt(offsets, 99)).toBe(0);
    expect(monthAt(offsets, 100)).toBe(1);
    expect(monthAt(offsets, 349)).toBe(2);
    expect(monthAt(offsets, 1000)).toBe(2);
    expect(monthAt([0], 0)).toBe(-1);
    expect(monthsBetween(offsets, 120, 160)).toEqual([1, 2]);
    expect(monthsBetween(offsets, 0, 100)).toEqual([0, 0]);
    expect(monthsBetween(offsets, -500, -1)).toBeNull();
    expect(monthsBetween(offsets, 350, 400)).toBeNull();
    expect(monthsBetween([0], 0, 100)).toBeNull();
  });

  test('rowsBetween finds the rows meeting a window by binary search', () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ top: i * 10, height: 10, items: [] as TileItem[] }));
    expect(rowsBetween(rows, 95, 125).map((r) => r.top)).toEqual([90, 100, 110, 120]);
    expect(rowsBetween(rows, -50, 5).map((r) => r.top)).toEqual([0]);
    expect(rowsBetween(rows, 2000, 3000)).toEqual([]);
  });

  test('tileTop finds the row of an asset', () => {
    const assets = Array.from({ length: 20 }, (_, i) => photo(`p${i}`, '2024-05-01', 3000, 2000));
    const layout = layoutMonth(assets, metrics);
    expect(tileTop(layout, 0)).toEqual({ top: metrics.headerHeight, height: layout.rows[1].height });
    expect(tileTop(layout, 19)!.top).toBe(layout.rows[layout.rows.length - 1].top);
    expect(tileTop(layout, 20)).toBeNull();
  });
});

describe('a large month', () => {
  test('5,000 photos lay out quickly and a window meets only a few rows', () => {
    const assets = Array.from({ length: 5000 }, (_, i) =>
      photo(`p${i}`, `2024-05-${String(31 - Math.floor(i / 170)).padStart(2, '0')}`, i % 2 ? 4000 : 3000, 3000));
    const start = performance.now();
    const layout = layoutMonth(assets, metrics);
    expect(performance.now() - start).toBeLessThan(500);
    expect(layout.rows.filter((r) => r.items[0].kind === 'tile').reduce((n, r) => n + r.items.length, 0)).toBe(5000);
    const mid = layout.height / 2;
    const near = rowsBetween(layout.rows, mid, mid + 800);
    expect(near.length).toBeGreaterThan(2);
    expect(near.length).toBeLessThan(10);
  });
});

describe('gridMetrics and the cache', () => {
  test('smaller rows on a phone', () => {
    expect(gridMetrics(375).rowHeight).toBeLessThan(gridMetrics(1280).rowHeight);
    expect(gridMetrics(375).width).toBe(375);
  });

  test('a layout is reused for the same array and metrics and redone otherwise', () => {
    const cache = new LayoutCache();
    const assets = [photo('a', '2024-01-01', 100, 100)];
    const one = cache.get(assets, metrics);
    expect(cache.get(assets, { ...metrics })).toBe(one);
    expect(cache.get(assets, { ...metrics, width: 500 })).not.toBe(one);
    expect(cache.get([...assets], metrics)).not.toBe(one);
  });
});

describe('tilesInWindow', () => {
  test('rows of the grid\'s height, filled with 3:2 photos', () => {
    // 1248 wide: rows of 190 (+4); 4 rows fill 776, 5 cover 800. 1248 / 289 → 5 a row.
    expect(tilesInWindow(1248, 800)).toBe(25);
    // A phone: rows of 110 (+2), 168 per photo.
    expect(tilesInWindow(390, 844)).toBe(8 * 3);
  });
});
