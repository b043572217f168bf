// What can be done to several assets at once: change them in bulk, download them, put them in an
// album. Every call goes through api() (session cookie, CSRF header, errors as ApiError with the
// server's code). The shapes are written out here until docs/api/openapi.yaml describes these
// endpoints and api-types.ts is generated again.
import { api } from './api';
import { chunks } from './selection';

export type BulkAction = 'favorite' | 'unfavorite' | 'archive' | 'unarchive' | 'trash' | 'restore';

export const bulkLimit = 1000; // ids per POST /api/v1/assets/bulk

// Returns how many assets changed. Larger selections go in several requests, one after the
// other; a failure stops there (the earlier pieces stay done) and is thrown.
export async function bulkUpdate(ids: readonly string[], action: BulkAction): Promise<number> {
  let updated = 0;
  for (const piece of chunks(ids, bulkLimit)) {
    const reply = await api<{ updated: number }>('POST', '/api/v1/assets/bulk', { asset_ids: piece, action });
    updated += reply.updated;
  }
  return updated;
}

export interface Download {
  url: string;
  name: string;
}

// One asset downloads as its original; several as a zip the server builds and streams.
export async function prepareDownload(ids: readonly string[], names: (id: string) => string): Promise<Download> {
  if (ids.length === 1) return { url: `/api/v1/assets/${ids[0]}/original`, name: names(ids[0]) };
  const zip = await api<{ id: string; url: string; name: string; size: number }>(
    'POST', '/api/v1/downloads', { asset_ids: ids });
  return { url: zip.url, name: zip.name };
}

// Hands the URL to the browser's own download, which streams to disk (no copy in memory).
export function startDownload({ url, name }: Download) {
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
}

export interface AlbumSummary {
  id: string;
  name: string;
  role: 'owner' | 'contributor' | 'viewer';
  asset_count: number;
  cover_thumbnail_url: string | null;
}

export async function listAlbums(): Promise<AlbumSummary[]> {
  return (await api<{ albums: AlbumSummary[] }>('GET', '/api/v1/albums')).albums;
}

// Albums the caller may add to (a viewer of a shared album may not).
export function writableAlbums(albums: readonly AlbumSummary[]): AlbumSummary[] {
  return albums.filter((a) => a.role === 'owner' || a.role === 'contributor');
}

export async function createAlbum(name: string, ids: readonly string[]): Promise<AlbumSummary> {
  return api<AlbumSummary>('POST', '/api/v1/albums', { name, asset_ids: ids });
}

export async function addToAlbum(albumId: string, ids: readonly string[]): Promise<{ added: number; already: number }> {
  return api<{ added: number; already: number }>('POST', `/api/v1/albums/${encodeURIComponent(albumId)}/assets`,
                                                  { asset_ids: ids });
}

// "3 items", "1 item"
export function items(n: number): string {
  return `${n.toLocaleString()} item${n === 1 ? '' : 's'}`;
}
