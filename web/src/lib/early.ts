// Requests the first screen needs, started as the app starts instead of when the page that uses
// them is shown: they then travel alongside GET /api/v1/me (who is signed in) rather than after
// it. Before that answer no one knows whether the browser is signed in, so an early request may
// fail (401); whoever takes its answer then asks again.
import { api } from './api';

export type Get = <T>(path: string) => Promise<T>;

// An answer older than this is not used: the page asks the server afresh.
const maxAgeMs = 10_000;

export class EarlyRequests {
  #started = new Map<string, { at: number; answer: Promise<unknown> }>();

  constructor(
    private readonly get: Get = (path) => api('GET', path),
    private readonly now: () => number = () => performance.now(),
  ) {}

  // GETs each path now; an earlier answer for it that was not taken is dropped (it may be from
  // before signing in). Returns the answers, in the order of `paths`, for a look before they
  // are taken (a failure there is not one yet: take() asks again).
  start(paths: readonly string[]): Promise<unknown>[] {
    return paths.map((path) => {
      const answer = this.get(path);
      answer.catch(() => {});
      this.#started.set(path, { at: this.now(), answer });
      return answer;
    });
  }

  // GETs `path`: the early answer if one was started less than ten seconds ago and has not been
  // taken (each is taken once; if it failed, the server is asked again), else a new request.
  take<T>(path: string): Promise<T> {
    const early = this.#started.get(path);
    this.#started.delete(path);
    if (!early || this.now() - early.at > maxAgeMs) return this.get<T>(path);
    return (early.answer as Promise<T>).catch(() => this.get<T>(path));
  }
}

// The app's: App.svelte starts the requests of the page it opens on, the page's store takes them.
export const early = new EarlyRequests();
