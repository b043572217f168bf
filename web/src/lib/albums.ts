// Albums, their members and share links, and what a share link's visitor reaches: the calls (all
// through api(), so the CSRF header and the server's error codes come along) and the small rules
// the pages share. The shapes are written out here until docs/api/openapi.yaml describes albums
// and api-types.ts is generated again; they follow src/api/album_routes.cc and shared_routes.cc.
import { api, type Asset } from './api';
import { bulkLimit, type AlbumSummary } from './asset-actions';
import { chunks } from './selection';

export type AlbumRole = 'owner' | 'contributor' | 'viewer';

export interface Album extends AlbumSummary {
  description: string;
  owner: { id: string; name: string };
  cover_asset_id: string | null;
  first_taken_at: string | null; // RFC 3339; null for an empty album
  last_taken_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface AlbumMember {
  user_id: string;
  name: string;
  email: string;
  role: 'viewer' | 'contributor';
  added_at: string;
}

export interface ShareLink {
  id: string;
  key: string;
  url: string; // "/s/<key>", the public page
  has_password: boolean;
  expires_at: string | null;
  allow_download: boolean;
  show_location: boolean;
  created_at: string;
}

// GET /api/v1/albums/<id>: the album with its members, and its links for the owner only.
export interface AlbumDetail extends Album {
  members: AlbumMember[];
  links: ShareLink[];
}

// An album's item: an asset, and for members who added it (not for link visitors).
export type AlbumItem = Asset & { added_by?: string };

export interface ItemsPage {
  assets: AlbumItem[];
  next_cursor: string | null;
}

// Changes to a link's settings; absent fields stay as they are. `password: null` removes it,
// `expires_at: null` makes the link last until revoked.
export interface LinkSettings {
  password?: string | null;
  expires_at?: string | null;
  allow_download?: boolean;
  show_location?: boolean;
}

// GET /api/v1/shared/<key>: the album as its link shows it (no owner id, no members).
export interface SharedAlbum {
  album: Omit<Album, 'owner' | 'role'> & { owner_name: string };
  link: {
    allow_download: boolean;
    show_location: boolean;
    has_password: boolean;
    expires_at: string | null;
    download_url: string | null; // the whole album as a zip; null when downloads are off
  };
}

const albumUrl = (id: string) => `/api/v1/albums/${encodeURIComponent(id)}`;
const sharedUrl = (key: string) => `/api/v1/shared/${encodeURIComponent(key)}`;

export async function listAllAlbums(): Promise<Album[]> {
  return (await api<{ albums: Album[] }>('GET', '/api/v1/albums')).albums;
}

export function getAlbum(id: string): Promise<AlbumDetail> {
  return api<AlbumDetail>('GET', albumUrl(id));
}

// Owner only. `cover_asset_id` must be an item of the album.
export function updateAlbum(id: string, change: { name?: string; description?: string; cover_asset_id?: string }) {
  return api<Album>('PATCH', albumUrl(id), change);
}

export function deleteAlbum(id: string): Promise<void> {
  return api<void>('DELETE', albumUrl(id));
}

export function albumItems(id: string, cursor: string | null, limit = 200): Promise<ItemsPage> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor) query.set('cursor', cursor);
  return api<ItemsPage>('GET', `${albumUrl(id)}/assets?${query}`);
}

// The owner removes any item, a contributor only what they added (the others stay, uncounted).
// Large selections go in pieces the server accepts; a failure stops there and is thrown.
export async function removeFromAlbum(id: string, assetIds: readonly string[]): Promise<number> {
  let removed = 0;
  for (const piece of chunks(assetIds, bulkLimit)) {
    removed += (await api<{ removed: number }>('POST', `${albumUrl(id)}/assets/remove`, { asset_ids: piece })).removed;
  }
  return removed;
}

// Owner only: the assets go, in this order, before `before` ("" for the end). In pieces, each
// put before `before` in turn, which keeps the pieces in order.
export async function moveInAlbum(id: string, assetIds: readonly string[], before: string): Promise<void> {
  for (const piece of chunks(assetIds, bulkLimit)) {
    await api<void>('POST', `${albumUrl(id)}/assets/move`, { asset_ids: piece, before_asset_id: before });
  }
}

// Owner only: shares with the user who has this email, or changes their role. 404 when there is
// no such user.
export function addMember(id: string, email: string, role: AlbumMember['role']): Promise<AlbumMember> {
  return api<AlbumMember>('POST', `${albumUrl(id)}/members`, { email, role });
}

// The owner takes a member out, or members take themselves out (leave).
export function removeMember(id: string, userId: string): Promise<void> {
  return api<void>('DELETE', `${albumUrl(id)}/members/${encodeURIComponent(userId)}`);
}

export function createLink(id: string, settings: LinkSettings): Promise<ShareLink> {
  return api<ShareLink>('POST', `${albumUrl(id)}/links`, settings);
}

export function updateLink(id: string, linkId: string, settings: LinkSettings): Promise<ShareLink> {
  return api<ShareLink>('PATCH', `${albumUrl(id)}/links/${encodeURIComponent(linkId)}`, settings);
}

export function revokeLink(id: string, linkId: string): Promise<void> {
  return api<void>('DELETE', `${albumUrl(id)}/links/${encodeURIComponent(linkId)}`);
}

// ---- A share link's visitor. No session: a password is sent once, in a POST body, and the
// server answers with a cookie scoped to the link's path.

// ApiError 401 link_password_required until unlocked; 410 link_expired; 404 for no such link.
export function openShared(key: string): Promise<SharedAlbum> {
  return api<SharedAlbum>('GET', sharedUrl(key));
}

// ApiError 401 invalid_credentials for a wrong password (429 when tried too often).
export function unlockShared(key: string, password: string): Promise<void> {
  return api<void>('POST', `${sharedUrl(key)}/unlock`, { password });
}

// The items' file URLs already point under /api/v1/shared/<key>/assets/.
export function sharedItems(key: string, cursor: string | null, limit = 200): Promise<ItemsPage> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor) query.set('cursor', cursor);
  return api<ItemsPage>('GET', `${sharedUrl(key)}/assets?${query}`);
}

// ---- Rules the pages share.

export function canEdit(role: AlbumRole | undefined): boolean {
  return role === 'owner';
}

export function canAdd(role: AlbumRole | undefined): boolean {
  return role === 'owner' || role === 'contributor';
}

// What `userId` may take out of the album: anything for the owner, what they added for a
// contributor, nothing for a viewer.
export function canRemove(role: AlbumRole | undefined, item: AlbumItem, userId: string): boolean {
  return role === 'owner' || (role === 'contributor' && item.added_by === userId);
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// "6 May 2021", "6–9 May 2021", "6 May – 8 Jul 2023", "6 May 2021 – 8 Jul 2023"; "" when the
// album is empty. Capture times are read as the server writes them (UTC), so the day is the day
// on the camera when its clock's offset is unknown.
export function dateRange(first: string | null, last: string | null): string {
  const a = first ? new Date(first) : null;
  const b = last ? new Date(last) : null;
  if (!a || Number.isNaN(a.getTime())) return b && !Number.isNaN(b.getTime()) ? dateRange(last, last) : '';
  const end = b && !Number.isNaN(b.getTime()) ? b : a;
  const [from, to] = a <= end ? [a, end] : [end, a];
  const day = (d: Date) => d.getUTCDate();
  const month = (d: Date) => months[d.getUTCMonth()];
  const year = (d: Date) => d.getUTCFullYear();
  if (year(from) !== year(to)) {
    return `${day(from)} ${month(from)} ${year(from)} – ${day(to)} ${month(to)} ${year(to)}`;
  }
  if (month(from) !== month(to)) return `${day(from)} ${month(from)} – ${day(to)} ${month(to)} ${year(to)}`;
  if (day(from) !== day(to)) return `${day(from)}–${day(to)} ${month(to)} ${year(to)}`;
  return `${day(to)} ${month(to)} ${year(to)}`;
}

// Drag and drop: `dragged` dropped on `target` takes the target's place: dragged forward it
// lands after the target, dragged back before it. Returns the id to move before ("" for the
// end), or null when nothing would move.
export function dropPlacement(order: readonly string[], dragged: readonly string[], target: string): string | null {
  if (dragged.length === 0 || dragged.includes(target)) return null;
  const at = order.indexOf(target);
  if (at < 0) return null;
  const first = Math.min(...dragged.map((id) => order.indexOf(id)).filter((i) => i >= 0));
  const forward = Number.isFinite(first) && first < at;
  if (!forward) return target;
  const moving = new Set(dragged);
  for (let i = at + 1; i < order.length; i++) if (!moving.has(order[i])) return order[i];
  return '';
}

// The order after moving `ids` (in the order given) before `before` ("" for the end), as the
// server does it; ids not in `order` are ignored.
export function moved(order: readonly string[], ids: readonly string[], before: string): string[] {
  const present = new Set(order);
  const moving = ids.filter((id, i) => present.has(id) && ids.indexOf(id) === i);
  const set = new Set(moving);
  const rest = order.filter((id) => !set.has(id));
  const at = before && !set.has(before) ? rest.indexOf(before) : -1;
  if (at < 0) return [...rest, ...moving];
  return [...rest.slice(0, at), ...moving, ...rest.slice(at)];
}

// A link's expiry from a date input ("2026-12-31"): the end of that day where the owner is.
export function expiryFromDay(day: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59).toISOString();
}

// The date input's value for an expiry (the owner's local day); "" for none.
export function dayOfExpiry(expiresAt: string | null): string {
  if (!expiresAt) return '';
  const d = new Date(expiresAt);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
