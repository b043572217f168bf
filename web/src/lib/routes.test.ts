import { describe, expect, it } from 'vitest';
import { albumPath, routeOf, shareUrl, timelineViewOf } from './routes';

describe('routeOf', () => {
  it('knows the fixed pages', () => {
    expect(routeOf('/')).toEqual({ kind: 'page', path: '/' });
    expect(routeOf('/albums')).toEqual({ kind: 'page', path: '/albums' });
    expect(routeOf('/favorites')).toEqual({ kind: 'page', path: '/favorites' });
    expect(routeOf('/admin')).toEqual({ kind: 'page', path: '/admin' });
  });

  it('ignores a trailing slash', () => {
    expect(routeOf('/albums/')).toEqual({ kind: 'page', path: '/albums' });
    expect(routeOf('/search//')).toEqual({ kind: 'page', path: '/search' });
  });

  it('reads an album id and a share key', () => {
    const id = '0190a4b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b';
    expect(routeOf(`/albums/${id}`)).toEqual({ kind: 'album', path: `/albums/${id}`, albumId: id });
    expect(routeOf(`/albums/${id}/`)).toEqual({ kind: 'album', path: `/albums/${id}`, albumId: id });
    expect(routeOf('/s/Ab_9-zZ')).toEqual({ kind: 'shared', path: '/s/Ab_9-zZ', key: 'Ab_9-zZ' });
  });

  it('sends anything else to the timeline', () => {
    for (const path of ['/nope', '/albums/a/b', '/s/', '/s/a.b', '/s/%2e%2e', '/albums/a b', '/x/y', '/s/a/assets',
                        `/s/${'k'.repeat(129)}`]) {
      expect(routeOf(path), path).toEqual({ kind: 'page', path: '/' });
    }
  });
});

describe('paths', () => {
  it('makes an album path that routes back to the album', () => {
    const route = routeOf(albumPath('abc-123'));
    expect(route).toEqual({ kind: 'album', path: '/albums/abc-123', albumId: 'abc-123' });
  });

  it('makes a full share address from the origin', () => {
    expect(shareUrl('https://photos.example.com', '/s/key')).toBe('https://photos.example.com/s/key');
    expect(shareUrl('http://127.0.0.1:8080/', '/s/key')).toBe('http://127.0.0.1:8080/s/key');
  });
});

describe('timelineViewOf', () => {
  it('names the view of a timeline page, and nothing for other pages', () => {
    expect(timelineViewOf('/')).toBe('timeline');
    expect(timelineViewOf('/favorites')).toBe('favorites');
    expect(timelineViewOf('/archive')).toBe('archive');
    expect(timelineViewOf('/trash')).toBe('trash');
    expect(timelineViewOf('/albums')).toBeNull();
    expect(timelineViewOf('/search')).toBeNull();
    expect(timelineViewOf('constructor')).toBeNull();
  });
});
