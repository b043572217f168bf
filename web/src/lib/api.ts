// The app's way to the server: same-origin fetch with the session cookie, the CSRF header every
// state-changing request must carry, and errors as values with the server's stable codes. Types
// come from docs/api/openapi.yaml (npm run gen:api writes src/lib/api-types.ts).
import type { components } from './api-types';

// Two fields the server sends that the OpenAPI file does not describe yet (the intersection stays
// right once it does): `original_url`, where the original downloads (under /api/v1/shared/<key>/
// for a share link's visitor; null when the link's owner turned downloads off), and `owner_id`
// (not for a link's visitor), which tells an album member whose photo it is.
export type Asset = components['schemas']['Asset'] & { original_url?: string | null; owner_id?: string };
export type User = components['schemas']['User'];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== 'GET' && method !== 'HEAD') headers['X-Shoebox-Csrf'] = '1';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    // The server's answers carry no Cache-Control, and browsers may keep some (a 410 for an
    // expired share link was served again after the link changed): always ask.
    cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    throw new ApiError(response.status, json?.error?.code ?? 'unknown', json?.error?.message ?? response.statusText);
  }
  return json as T;
}
