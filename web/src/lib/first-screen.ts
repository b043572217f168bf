// A timeline page's first screen, started as the app starts: the requests its store makes first
// (through lib/early.ts, alongside GET /api/v1/me) and, as soon as the newest page of assets is
// in, the thumbnails at the top of it, so they load while the page is laid out and drawn. The
// tiles' <img> elements then get the same images from the browser's memory cache.
import type { Asset } from './api';
import { early } from './early';
import { tilesInWindow } from './layout';
import { firstRequests, type View } from './timeline-store.svelte';

// Until their tiles show them: an image whose last reference goes may stop loading.
const preloaded = new Set<HTMLImageElement>();
const keepMs = 30_000;

// Resolves once the first page is in and its thumbnails are asked for, or it failed (never
// rejects): a page shown after that is drawn with its photos at once, and its thumbnails are not
// held up by the work of drawing it.
export async function startFirstScreen(view: View, width = window.innerWidth, height = window.innerHeight) {
  const [firstPage] = early.start(firstRequests(view));
  if (!firstPage) return;
  try {
    const page = (await firstPage) as { assets: Asset[] };
    preload(firstThumbnails(page.assets, tilesInWindow(width, height)));
  } catch {
    // Not signed in, or the store asks again.
  }
}

// The thumbnails of the first `count` assets that have one.
export function firstThumbnails(assets: readonly Asset[], count: number): string[] {
  return assets.slice(0, count).flatMap((a) => (a.thumbnail_url ? [a.thumbnail_url] : []));
}

function preload(urls: readonly string[]) {
  for (const url of urls) {
    const image = new Image();
    image.fetchPriority = 'high';
    image.decoding = 'async';
    image.src = url;
    preloaded.add(image);
    setTimeout(() => preloaded.delete(image), keepMs);
  }
}
