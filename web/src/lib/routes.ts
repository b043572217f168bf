// The app's pages as real paths, so links work, reload keeps the page and back and forward move
// between pages. Pure: which page a path names, and the path of a page. nav.svelte.ts keeps the
// current one in step with the browser's history.

// Pages without parameters.
export const pages = [
  '/', '/search', '/favorites', '/archive', '/trash', '/albums', '/devices', '/account', '/admin',
] as const;
export type PagePath = (typeof pages)[number];

export type Route =
  | { kind: 'page'; path: PagePath }
  | { kind: 'album'; path: string; albumId: string }
  // A share link's public page: shown to anyone with the link, signed in or not.
  | { kind: 'shared'; path: string; key: string };

// Album ids and link keys are URL-safe tokens (UUIDs, base64url); anything else is not a page.
const token = /^[A-Za-z0-9_-]{1,128}$/;

// The page a location's path names; an unknown path is the timeline. A trailing slash is
// ignored (/albums/ is /albums).
export function routeOf(pathname: string): Route {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') || '/' : pathname;
  if ((pages as readonly string[]).includes(path)) return { kind: 'page', path: path as PagePath };
  const [, first, second, ...rest] = path.split('/');
  if (rest.length === 0 && second !== undefined && token.test(second)) {
    if (first === 'albums') return { kind: 'album', path, albumId: second };
    if (first === 's') return { kind: 'shared', path, key: second };
  }
  return { kind: 'page', path: '/' };
}

// The pages that show a timeline of photos, by the view they show (Timeline.svelte's `view`);
// null for other pages.
export type TimelineView = 'timeline' | 'favorites' | 'archive' | 'trash';
const timelineViews: Record<string, TimelineView> = {
  '/': 'timeline', '/favorites': 'favorites', '/archive': 'archive', '/trash': 'trash',
};

export function timelineViewOf(path: string): TimelineView | null {
  return Object.hasOwn(timelineViews, path) ? timelineViews[path] : null;
}

export function albumPath(albumId: string): string {
  return `/albums/${encodeURIComponent(albumId)}`;
}

// The address to give out for a share link: `url` is the server's path for it ("/s/<key>").
export function shareUrl(origin: string, url: string): string {
  return origin.replace(/\/+$/, '') + url;
}
