import { expect, test } from 'vitest';
import { EarlyRequests, type Get } from './early';

// A fake server counting the requests per path; `fail` paths answer 401 once.
function server(fail: Set<string> = new Set()) {
  const asked: string[] = [];
  const get: Get = <T>(path: string) => {
    asked.push(path);
    if (fail.delete(path)) return Promise.reject(new Error('401'));
    return Promise.resolve(`${path}#${asked.length}` as T);
  };
  return { get, asked };
}

test('an early answer is taken once; later asks go to the server', async () => {
  const s = server();
  const early = new EarlyRequests(s.get, () => 0);
  early.start(['/a', '/b']);
  expect(s.asked).toEqual(['/a', '/b']);
  expect(await early.take('/a')).toBe('/a#1');
  expect(await early.take('/a')).toBe('/a#3');
  expect(await early.take('/c')).toBe('/c#4'); // never started
  expect(s.asked).toEqual(['/a', '/b', '/a', '/c']);
});

test('an early request that failed (signed out then) is made again', async () => {
  const s = server(new Set(['/a']));
  const early = new EarlyRequests(s.get, () => 0);
  early.start(['/a']);
  expect(await early.take('/a')).toBe('/a#2');
});

test('an answer older than ten seconds is not used', async () => {
  let now = 0;
  const s = server();
  const early = new EarlyRequests(s.get, () => now);
  early.start(['/a']);
  now = 10_001;
  expect(await early.take('/a')).toBe('/a#2');
});

test('starting a path again replaces the answer not taken', async () => {
  const s = server();
  const early = new EarlyRequests(s.get, () => 0);
  early.start(['/a']);
  early.start(['/a']);
  expect(await early.take('/a')).toBe('/a#2');
  expect(s.asked.length).toBe(2);
});
