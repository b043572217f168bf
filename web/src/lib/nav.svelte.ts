// The current page, kept in step with the browser's history: links work, reload keeps the page,
// back and forward move between pages. Which paths are pages is in routes.ts.
import { routeOf, type Route } from './routes';

export { albumPath, pages, type PagePath, type Route } from './routes';

function current(): Route {
  return routeOf(window.location.pathname);
}

export const nav = $state<{ path: string; route: Route }>({ path: current().path, route: current() });

window.addEventListener('popstate', () => {
  nav.route = current();
  nav.path = nav.route.path;
});

// Goes to an app path (a page from routes.ts, /albums/<id>); `replace` for a page that replaces
// one that no longer exists (a deleted album), so back does not return to it.
export function navigate(path: string, { replace = false } = {}) {
  const route = routeOf(path);
  if (route.path === nav.path) return;
  if (replace) history.replaceState(null, '', route.path);
  else history.pushState(null, '', route.path);
  nav.route = route;
  nav.path = route.path;
}
