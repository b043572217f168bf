// The app's pages are real paths (/, /favorites, /archive, /trash, /devices): links work, reload
// keeps the page, back and forward move between them.
export const pages = ['/', '/search', '/favorites', '/archive', '/trash', '/devices', '/account', '/admin'] as const;
export type PagePath = (typeof pages)[number];

function current(): PagePath {
  const path = window.location.pathname;
  return (pages as readonly string[]).includes(path) ? (path as PagePath) : '/';
}

export const nav = $state({ path: current() });

window.addEventListener('popstate', () => (nav.path = current()));

export function navigate(path: PagePath) {
  if (path === nav.path) return;
  history.pushState(null, '', path);
  nav.path = path;
}
