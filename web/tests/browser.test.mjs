// The web app in a real browser (Debian's Chromium driven by playwright-core) against a real
// shoebox-server on 127.0.0.1 with a temp data folder: first run, the timeline in capture-time
// order with day headers and real thumbnails, sign out and in, the security headers; albums,
// sharing with members and by link (seen from a browser without cookies), bulk actions, CSRF,
// axe-core's accessibility rules and a phone-sized screen.
// Screenshots go to build/web-screenshots/. Run: web/tests/run.sh.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const serverBin = process.env.SHOEBOX_SERVER_BIN || path.join(repo, 'build', 'bin', 'shoebox-server');
const webRoot = process.env.SHOEBOX_WEB_ROOT || path.join(repo, 'build', 'web');
const shots = path.join(repo, 'build', 'web-screenshots');
const EMAIL = 'admin@example.com';
const PASSWORD = 'browser-test-123';

let work, server, base, browser;

function photo(file, taken, ...tags) {
  execFileSync('vips', ['gaussnoise', file, '900', '600']);
  execFileSync('exiftool', ['-q', '-overwrite_original', `-DateTimeOriginal=${taken}`, ...tags, file]);
}

async function upload(token, file) {
  const bytes = fs.readFileSync(file);
  const meta = `filename ${Buffer.from(path.basename(file)).toString('base64')}`;
  const reply = await fetch(`${base}/api/v1/uploads`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(bytes.length),
      'Upload-Metadata': meta,
      'Content-Type': 'application/offset+octet-stream',
    },
    body: bytes,
  });
  assert.equal(reply.status, 201, await reply.text());
  return reply.headers.get('shoebox-asset-id');
}

// Opens the app in `page` and signs in as the admin; returns the page.
async function signIn(page) {
  await page.goto(base);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return page;
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'shoebox-web-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SHOEBOX_')));
  server = spawn(serverBin, ['--data', path.join(work, 'data'), '--listen', '127.0.0.1:0',
                             '--set', `web.root=${webRoot}`, '--set', 'log.level=warn'],
                 { env, stdio: ['ignore', 'pipe', 'inherit'] });
  process.once('exit', () => server.kill('SIGKILL'));
  base = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    server.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
                                    args: ['--no-sandbox'] });
  fs.mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  await new Promise((resolve) => server?.once('exit', resolve));
  if (!process.env.SHOEBOX_E2E_KEEP) fs.rmSync(work, { recursive: true, force: true });
});

test('first run, then the timeline in capture-time order with thumbnails', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const violations = [];
  page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) violations.push(m.text()); });
  await page.goto(base);
  await page.getByRole('heading', { name: /create the admin account/ }).waitFor();
  await page.screenshot({ path: path.join(shots, 'first-run.png') });
  await page.getByLabel('Name').fill('Ada');
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('No photos yet').waitFor();

  // Two photos taken years apart, uploaded older first.
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  const { token } = await login.json();
  photo(path.join(work, 'old.jpg'), '2021:05:06 10:00:00');
  photo(path.join(work, 'new.jpg'), '2023:07:08 18:30:00', '-Make=Canon', '-Model=Canon EOS 5D');
  const older = await upload(token, path.join(work, 'old.jpg'));
  const newer = await upload(token, path.join(work, 'new.jpg'));
  for (let i = 0; i < 300; i++) {
    const list = await (await fetch(`${base}/api/v1/assets`, { headers: { Authorization: `Bearer ${token}` } })).json();
    if (list.assets.length === 2 && list.assets.every((a) => a.thumbnail_url)) break;
    await new Promise((r) => setTimeout(r, 200));
  }

  await page.reload();
  await page.locator('figure.tile img').nth(1).waitFor();
  const order = await page.locator('figure.tile').evaluateAll((tiles) => tiles.map((t) => t.dataset.assetId));
  assert.deepEqual(order, [newer, older]);
  const headers = await page.locator('main h2').allTextContents();
  assert.deepEqual(headers, ['Sat, 8 Jul 2023', 'Thu, 6 May 2021']);
  await page.waitForFunction(() => [...document.querySelectorAll('figure.tile img')].every((i) => i.complete && i.naturalWidth > 0));
  await page.screenshot({ path: path.join(shots, 'timeline.png') });

  // The viewer: the newer photo first, the next one with the arrow key, details, favourite.
  await page.locator('figure.tile button').first().click();
  const viewer = page.getByRole('dialog');
  await viewer.waitFor();
  assert.equal(await viewer.getAttribute('aria-label'), 'new.jpg');
  await page.waitForFunction(() => { const i = document.querySelector('.stage img'); return i && i.complete && i.naturalWidth > 0; });
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.querySelector('[role=dialog]').getAttribute('aria-label') === 'old.jpg');
  await page.keyboard.press('i');
  await page.getByRole('complementary', { name: 'Details' }).getByText('2021-05-06 10:00:00').waitFor();
  await page.keyboard.press('f');
  await page.getByRole('button', { name: 'Unfavourite' }).waitFor();
  await page.screenshot({ path: path.join(shots, 'viewer.png') });
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  await page.getByLabel('Favourite', { exact: true }).waitFor();  // the star on its tile

  // A video plays through the playback endpoint, and seeking works.
  execFileSync('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=duration=4:size=320x240:rate=25',
                          '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', path.join(work, 'clip.mp4')]);
  await upload(token, path.join(work, 'clip.mp4'));
  for (let i = 0; i < 300; i++) {
    const list = await (await fetch(`${base}/api/v1/assets`, { headers: { Authorization: `Bearer ${token}` } })).json();
    if (list.assets.length === 3 && list.assets.every((a) => a.media_state !== 'pending')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await page.reload();
  await page.getByRole('button', { name: 'Open clip.mp4' }).click();
  await page.waitForFunction(() => { const v = document.querySelector('.stage video'); return v && v.readyState >= 1 && v.duration > 3; });
  const seeked = await page.evaluate(() => new Promise((resolve) => {
    const v = document.querySelector('.stage video');
    v.pause();
    v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
    v.currentTime = 3;
  }));
  assert.ok(seeked >= 2.9, `seeked to ${seeked}`);
  await page.keyboard.press('Escape');

  // Upload from the browser (tus): one new photo and one already in the library.
  photo(path.join(work, 'from-browser.jpg'), '2022:02:03 12:00:00');
  await page.locator('input[type=file]').setInputFiles([path.join(work, 'from-browser.jpg'), path.join(work, 'old.jpg')]);
  const panel = page.getByRole('region', { name: 'Uploads' });
  await panel.getByText('2 of 2 uploaded').waitFor();
  await panel.getByText('duplicate: already in your library').waitFor();
  await page.screenshot({ path: path.join(shots, 'upload.png') });
  await page.getByRole('button', { name: 'Open from-browser.jpg' }).waitFor();
  assert.equal(await page.locator('figure.tile').count(), 4);

  // Trash and restore: deleted from the viewer, found in Trash with its days left, restored.
  await page.getByRole('button', { name: 'Open from-browser.jpg' }).click();
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.keyboard.press('Escape');
  await page.getByRole('link', { name: 'Trash' }).click();
  await page.getByText('60 days left').waitFor();
  assert.equal(await page.locator('figure.tile').count(), 1);
  await page.screenshot({ path: path.join(shots, 'trash.png') });
  await page.getByRole('button', { name: 'Open from-browser.jpg' }).click();
  await page.getByRole('button', { name: 'Restore' }).click();
  await page.getByText('The trash is empty').waitFor();
  await page.getByRole('link', { name: 'Photos' }).click();
  await page.getByRole('button', { name: 'Open from-browser.jpg' }).waitFor();
  assert.equal(await page.locator('figure.tile').count(), 4);
  await page.getByRole('link', { name: 'Favourites' }).click();
  await page.getByRole('button', { name: 'Open old.jpg' }).waitFor();
  assert.equal(await page.locator('figure.tile').count(), 1);
  // Search by date, then by camera.
  await page.getByRole('link', { name: 'Search' }).click();
  await page.getByLabel('From', { exact: true }).fill('2021-05-01');
  await page.getByLabel('To', { exact: true }).fill('2021-05-31');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('button', { name: 'Open old.jpg' }).waitFor();
  assert.equal(await page.locator('figure.tile').count(), 1);
  await page.getByLabel('From', { exact: true }).fill('');
  await page.getByLabel('To', { exact: true }).fill('');
  await page.getByLabel('Camera').fill('canon');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('button', { name: 'Open new.jpg' }).waitFor();
  assert.equal(await page.locator('figure.tile').count(), 1);
  await page.screenshot({ path: path.join(shots, 'search.png') });
  // The account page: storage split and drawn, and a password change.
  await page.getByRole('link', { name: 'Account' }).click();
  await page.getByText('Photos: 3,').waitFor();
  await page.getByText('Videos: 1,').waitFor();
  await page.getByText('(no quota)').waitFor();
  await page.getByLabel('Current password').fill('not-it');
  await page.getByLabel('New password').fill('another-password-1');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByRole('alert').waitFor();
  await page.screenshot({ path: path.join(shots, 'account.png') });
  // Admin: the server's storage, add a user, disable them, see the job queue and re-run a kind.
  await page.getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('meter', { name: 'Server storage used' }).waitFor();
  await page.getByText(/\d+ photos and videos take .+ free\./).waitFor();
  await page.getByLabel("New user's email").fill('bea@example.com');
  await page.getByLabel("New user's password").fill('bea-password-1');
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.getByRole('cell', { name: 'bea@example.com' }).waitFor();
  await page.getByRole('row', { name: /bea@example.com/ }).getByRole('button', { name: 'Disable' }).click();
  await page.getByRole('row', { name: /bea@example.com/ }).getByRole('cell', { name: 'disabled' }).waitFor();
  await page.getByRole('button', { name: 'Re-run thumbnails for every asset' }).click();
  await page.getByText(/\d+ thumbnails jobs queued/).waitFor();
  await page.screenshot({ path: path.join(shots, 'admin.png') });
  await page.getByRole('link', { name: 'Devices' }).click();
  await page.getByText('No device backs up yet').waitFor();
  await page.goBack();
  await page.getByRole('heading', { name: 'Administration' }).waitFor();
  await page.goBack();
  await page.getByRole('heading', { name: 'Storage' }).waitFor();
  await page.goBack();
  await page.getByRole('form', { name: 'Search' }).waitFor();
  await page.goBack();
  await page.getByRole('button', { name: 'Open old.jpg' }).waitFor();  // Favourites again

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Shoebox' }).waitFor();
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('figure.tile img').first().waitFor();  // back where it was: Favourites
  assert.deepEqual(violations, []);
  await page.close();
});

test('file names, EXIF strings and album names holding HTML render as text', async () => {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  const { token } = await login.json();
  const payload = '<img src=x onerror="window.__pwned=1">';
  const file = path.join(work, 'xss.jpg');
  photo(file, '2024:01:01 00:00:00', `-Make=${payload}`, `-Model=<script>window.__pwned=2</script>`);
  const bytes = fs.readFileSync(file);
  const reply = await fetch(`${base}/api/v1/uploads`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`, 'Tus-Resumable': '1.0.0', 'Upload-Length': String(bytes.length),
      'Upload-Metadata': `filename ${Buffer.from(`${payload}.jpg`).toString('base64')}`,
      'Content-Type': 'application/offset+octet-stream',
    },
    body: bytes,
  });
  assert.equal(reply.status, 201);
  const id = reply.headers.get('shoebox-asset-id');
  for (let i = 0; i < 300; i++) {
    const a = await (await fetch(`${base}/api/v1/assets/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json();
    if (a.media_state !== 'pending') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const context = await browser.newContext();
  const page = await signIn(await context.newPage());
  await page.getByRole('link', { name: 'Photos' }).click();
  await page.getByRole('button', { name: `Open ${payload}.jpg` }).click();
  await page.keyboard.press('i');
  const details = page.getByRole('complementary', { name: 'Details' });
  await details.getByText(payload, { exact: false }).first().waitFor();
  await details.getByText('<script>window.__pwned=2</script>', { exact: false }).first().waitFor();
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.locator('img[src="x"]').count(), 0);

  // An album named and described with markup, in the album list, on its page and on its link's
  // page for a visitor.
  const json = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const album = await (await fetch(`${base}/api/v1/albums`, {
    method: 'POST', headers: json,
    body: JSON.stringify({ name: payload, description: '<script>window.__pwned=3</script>', asset_ids: [id] }),
  })).json();
  const link = await (await fetch(`${base}/api/v1/albums/${album.id}/links`, { method: 'POST', headers: json, body: '{}' })).json();
  await page.goto(`${base}/albums`);
  await page.getByText(payload, { exact: true }).first().waitFor();
  await page.goto(`${base}/albums/${album.id}`);
  await page.getByRole('heading', { name: payload }).waitFor();
  await page.getByText('<script>window.__pwned=3</script>').waitFor();
  const visitor = await browser.newContext();
  const shared = await visitor.newPage();
  await shared.goto(`${base}${link.url}`);
  await shared.getByRole('heading', { name: payload }).waitFor();
  for (const p of [page, shared]) {
    assert.equal(await p.evaluate(() => window.__pwned), undefined);
    assert.equal(await p.locator('img[src="x"]').count(), 0);
  }
  await visitor.close();
  await context.close();
});

test('the app is served with a strict CSP, hashed assets cached for good, app paths routed', async () => {
  const index = await fetch(`${base}/`);
  assert.equal(index.status, 200);
  const csp = index.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  const html = await index.text();
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)[1];
  const asset = await fetch(`${base}${script}`);
  assert.equal(asset.status, 200);
  assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal((await fetch(`${base}/albums/anything`)).status, 200);  // the app routes it
  assert.equal((await fetch(`${base}/assets/missing.js`)).status, 404);
  assert.equal((await fetch(`${base}/api/v1/nope`)).status, 404);
  for (const sneaky of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f..%2fetc%2fpasswd']) {
    const reply = await fetch(`${base}${sneaky}`);
    assert.doesNotMatch(await reply.text(), /root:x:0/, sneaky);
  }
});

// ---- Albums and sharing (issue 5). These run in order and share the album they make.

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

async function apiToken() {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  return (await login.json()).token;
}

async function apiGet(token, route) {
  const reply = await fetch(`${base}${route}`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(reply.status, 200, `${route}: ${reply.status}`);
  return reply.json();
}

// Console messages about the Content Security Policy, from every page of the context.
function cspViolations(context) {
  const seen = [];
  context.on('console', (m) => { if (/Content Security Policy/.test(m.text())) seen.push(m.text()); });
  return seen;
}

async function signedInPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  context.csp = cspViolations(context);
  const page = await signIn(await context.newPage());
  await page.getByRole('navigation', { name: 'Pages' }).waitFor();
  return { context, page };
}

// axe-core in the page (evaluated over the DevTools protocol, which the page's CSP does not
// govern): every serious or critical violation fails the test, with where it is.
async function assertAccessible(page, name) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join('\n    ')}`);
  });
  assert.deepEqual(violations, [], `${name}:\n${violations.join('\n')}`);
}

const shared = {};  // what the album tests pass on: the album, its link, the ids inside and outside

test('an album from a selection in the timeline, found in Albums and renamed', async () => {
  const { context, page } = await signedInPage();
  await page.locator('figure.tile img').first().waitFor();
  await assertAccessible(page, 'timeline');
  // A check circle, then shift-click on the next photo's.
  await page.getByRole('checkbox', { name: 'Select new.jpg' }).click();
  await page.getByRole('checkbox', { name: 'Select from-browser.jpg' }).click({ modifiers: ['Shift'] });
  await page.getByText('2 selected').waitFor();
  await page.getByRole('button', { name: 'Add to album' }).click();
  const picker = page.getByRole('dialog', { name: 'Add 2 items to an album' });
  await picker.getByRole('button', { name: 'New album' }).click();
  await picker.getByLabel('Album name').fill('Holiday');
  await picker.getByRole('button', { name: 'Create album' }).click();
  await picker.getByText('Made the album “Holiday” with 2 items.').waitFor();
  await picker.getByRole('button', { name: 'Done' }).click();
  await page.getByText('2 selected').waitFor({ state: 'detached' });

  await page.getByRole('link', { name: 'Albums' }).click();
  await page.getByRole('heading', { name: 'Albums' }).waitFor();
  const card = page.getByRole('link', { name: /Holiday/ });
  await card.getByText('2 items').waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('.card img')].every((i) => i.complete && i.naturalWidth > 0));
  await assertAccessible(page, 'albums list');
  await page.screenshot({ path: path.join(shots, 'albums.png') });
  await card.click();
  await page.getByRole('heading', { name: 'Holiday' }).waitFor();
  shared.albumPath = new URL(page.url()).pathname;
  assert.match(shared.albumPath, /^\/albums\/[0-9a-f-]{36}$/);
  shared.albumId = shared.albumPath.split('/')[2];
  // Added together, oldest first.
  await page.locator('figure.tile img').nth(1).waitFor();
  const names = await page.locator('figure.tile img').evaluateAll((imgs) => imgs.map((i) => i.alt));
  assert.deepEqual(names, ['from-browser.jpg', 'new.jpg']);

  await page.getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Album name').fill('Summer holiday');
  await page.getByLabel('Description').fill('Sun, sea and noise');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Summer holiday' }).waitFor();
  await page.reload();  // the path is the album, and the name is the server's
  await page.getByRole('heading', { name: 'Summer holiday' }).waitFor();
  await page.getByText('Sun, sea and noise').waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('figure.tile img')].every((i) => i.complete && i.naturalWidth > 0));
  await assertAccessible(page, 'album page');
  await page.screenshot({ path: path.join(shots, 'album.png') });

  // Reordered by dragging a tile onto another; the cover chosen from a selection.
  const ids = await page.locator('figure.tile').evaluateAll((tiles) => tiles.map((t) => t.dataset.assetId));
  await page.locator(`figure[data-asset-id="${ids[1]}"]`).dragTo(page.locator(`figure[data-asset-id="${ids[0]}"]`));
  await page.waitForFunction((want) => [...document.querySelectorAll('figure.tile')].map((t) => t.dataset.assetId).join() === want,
                             [ids[1], ids[0]].join());
  const token = await apiToken();
  const order = async () => (await apiGet(token, `/api/v1/albums/${shared.albumId}/assets`)).assets.map((a) => a.id);
  assert.deepEqual(await order(), [ids[1], ids[0]]);
  await page.getByRole('checkbox', { name: 'Select from-browser.jpg' }).click();
  await page.getByRole('button', { name: 'Set as cover' }).click();
  await page.getByText('Cover changed').waitFor();
  assert.equal((await apiGet(token, `/api/v1/albums/${shared.albumId}`)).cover_asset_id, ids[0]);

  // Back and forward move between the album and the list.
  await page.goBack();
  await page.getByRole('heading', { name: 'Albums' }).waitFor();
  await page.goForward();
  await page.getByRole('heading', { name: 'Summer holiday' }).waitFor();

  // The viewer in an album: the owner's photo can be put in another album.
  await page.getByRole('button', { name: 'Open new.jpg' }).click();
  await page.getByRole('dialog', { name: 'new.jpg' }).getByRole('button', { name: 'Add to album' }).waitFor();
  await page.keyboard.press('Escape');
  await page.getByRole('dialog', { name: 'new.jpg' }).waitFor({ state: 'detached' });
  assert.deepEqual(context.csp, []);
  await context.close();
});

test('shared by a link with a password: a fresh browser sees the album and nothing else', async () => {
  const token = await apiToken();
  const inAlbum = (await apiGet(token, `/api/v1/albums/${shared.albumId}/assets`)).assets.map((a) => a.id);
  const library = (await apiGet(token, '/api/v1/assets?visibility=all')).assets;
  const outside = library.find((a) => !inAlbum.includes(a.id) && a.original_name === 'old.jpg').id;

  const { context, page } = await signedInPage();
  await page.goto(`${base}${shared.albumPath}`);
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog', { name: 'Share “Summer holiday”' });
  // A member added and taken out again.
  const made = await fetch(`${base}/api/v1/admin/users`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'cy@example.com', name: 'Cy', password: 'cy-password-1' }),
  });
  assert.equal(made.status, 201, await made.text());
  await dialog.getByLabel('Email').fill('cy@example.com');
  await dialog.getByLabel('Role').selectOption('contributor');
  await dialog.getByRole('button', { name: 'Share', exact: true }).click();
  await dialog.getByRole('listitem').filter({ hasText: 'cy@example.com' }).getByText('Can add photos').waitFor();
  await dialog.getByRole('button', { name: 'Remove cy@example.com' }).click();
  await dialog.getByText('Not shared with anyone on this server.').waitFor();
  // A link with a password.
  const secret = 'correct horse 9';
  const newLink = dialog.getByRole('form', { name: 'New link' });
  await newLink.getByLabel('Password (optional)').fill(secret);
  assert.equal(await newLink.getByLabel('Allow download').isChecked(), true);
  assert.equal(await newLink.getByLabel('Show location').isChecked(), false);
  await newLink.getByRole('button', { name: 'Create link' }).click();
  const address = dialog.getByLabel('Link address');
  await address.waitFor();
  const url = await address.inputValue();
  assert.match(url, new RegExp(`^${base}/s/[A-Za-z0-9_-]+$`));
  await dialog.getByText('password · no end date · downloads allowed').waitFor();
  await assertAccessible(page, 'share dialog');
  await page.screenshot({ path: path.join(shots, 'share.png') });
  await dialog.getByRole('button', { name: 'Done' }).click();
  await context.close();
  shared.linkUrl = url;
  shared.key = url.split('/s/')[1];

  // A visitor without cookies.
  const visitor = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const visitorCsp = cspViolations(visitor);
  const requested = [];
  visitor.on('request', (r) => requested.push(r.url()));
  const guest = await visitor.newPage();
  await guest.goto(url);
  await guest.getByRole('heading', { name: 'This album is protected' }).waitFor();
  assert.equal(await guest.getByRole('navigation').count(), 0);
  await assertAccessible(guest, 'link password page');
  await guest.screenshot({ path: path.join(shots, 'link-password.png') });
  await guest.getByLabel('Password').fill('not the one');
  await guest.getByRole('button', { name: 'Open album' }).click();
  await guest.getByRole('alert').getByText('That is not the password.').waitFor();
  await guest.getByLabel('Password').fill(secret);
  await guest.getByRole('button', { name: 'Open album' }).click();
  await guest.getByRole('heading', { name: 'Summer holiday' }).waitFor();
  await guest.getByText('Shared by Ada · 2 items').waitFor();
  await guest.locator('figure.tile img').nth(1).waitFor();
  await guest.waitForFunction(() => [...document.querySelectorAll('figure.tile img')].every((i) => i.complete && i.naturalWidth > 0));
  const seen = await guest.locator('figure.tile').evaluateAll((tiles) => tiles.map((t) => t.dataset.assetId));
  assert.deepEqual(seen, inAlbum);
  assert.equal(await guest.getByRole('navigation').count(), 0);
  assert.equal(await guest.locator('a[href="/"], a[href^="/albums"]').count(), 0);
  assert.equal(await guest.getByRole('link', { name: 'Download all' }).getAttribute('href'), `/api/v1/shared/${shared.key}/download`);
  await assertAccessible(guest, 'public album page');
  await guest.screenshot({ path: path.join(shots, 'link-album.png') });
  // The viewer is read-only; the original downloads through the link.
  await guest.getByRole('button', { name: 'Open new.jpg' }).click();
  const viewer = guest.getByRole('dialog', { name: 'new.jpg' });
  await viewer.getByRole('link', { name: 'Download original' }).waitFor();
  for (const name of ['Favourite', 'Unfavourite', 'Delete', 'Archive', 'Add to album']) {
    assert.equal(await viewer.getByRole('button', { name, exact: true }).count(), 0, name);
  }
  assert.match(await viewer.getByRole('link', { name: 'Download original' }).getAttribute('href'),
               new RegExp(`^/api/v1/shared/${shared.key}/assets/[0-9a-f-]+/original$`));
  await guest.keyboard.press('f');  // no effect for a visitor
  await guest.keyboard.press('Escape');
  await viewer.waitFor({ state: 'detached' });

  // Nothing outside the album, through the link or around it.
  const statuses = await guest.evaluate(async ([id, key, inside]) => {
    const status = async (u) => (await fetch(u)).status;
    return {
      libraryThumb: await status(`/api/v1/assets/${id}/thumbnail`),
      libraryInside: await status(`/api/v1/assets/${inside}/original`),
      linkOriginal: await status(`/api/v1/shared/${key}/assets/${id}/original`),
      linkThumb: await status(`/api/v1/shared/${key}/assets/${id}/thumbnail`),
      albums: await status('/api/v1/albums'),
    };
  }, [outside, shared.key, inAlbum[0]]);
  assert.deepEqual(statuses, { libraryThumb: 401, libraryInside: 401, linkOriginal: 404, linkThumb: 404, albums: 401 });
  // The password went in a POST body, never a URL.
  assert.ok(requested.some((u) => u.endsWith(`/api/v1/shared/${shared.key}/unlock`)));
  for (const u of requested) {
    assert.ok(!u.includes(secret) && !u.includes(encodeURIComponent(secret)) && !u.includes('correct+horse'), u);
  }
  // Reload: the link's cookie keeps it open.
  await guest.reload();
  await guest.getByRole('heading', { name: 'Summer holiday' }).waitFor();
  assert.deepEqual(visitorCsp, []);
  await visitor.close();

  // Expired, revoked or mistyped, the link's page says so.
  const linkId = (await apiGet(token, `/api/v1/albums/${shared.albumId}`)).links[0].id;
  const expire = await fetch(`${base}/api/v1/albums/${shared.albumId}/links/${linkId}`, {
    method: 'PATCH', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ password: null, expires_at: '2001-01-01T00:00:00Z' }),
  });
  assert.equal(expire.status, 200, await expire.text());
  const late = await browser.newPage();
  await late.goto(url);
  await late.getByRole('heading', { name: 'This link has expired' }).waitFor();
  const { context: again, page: owner } = await signedInPage();
  await owner.goto(`${base}${shared.albumPath}`);
  await owner.getByRole('button', { name: 'Share' }).click();
  const sharing = owner.getByRole('dialog', { name: 'Share “Summer holiday”' });
  await sharing.getByText('no password · until').waitFor();
  owner.once('dialog', (d) => d.accept());
  await sharing.getByRole('button', { name: 'Revoke' }).click();
  await sharing.getByText('Link revoked').waitFor();
  assert.equal(await sharing.getByLabel('Link address').count(), 0);
  await again.close();
  await late.reload();
  await late.getByRole('heading', { name: 'This link does not work' }).waitFor();
  await late.goto(`${base}/s/not-a-real-key`);
  await late.getByRole('heading', { name: 'This link does not work' }).waitFor();
  await late.close();
});

test('bulk favourite from the selection bar shows in Favourites', async () => {
  const { context, page } = await signedInPage();
  await page.getByRole('checkbox', { name: 'Select new.jpg' }).click();
  await page.getByRole('checkbox', { name: 'Select from-browser.jpg' }).click();
  await page.getByRole('button', { name: 'Add to favourites' }).click();
  await page.getByText('Added 2 items to favourites').waitFor();
  await page.getByRole('link', { name: 'Favourites' }).click();
  await page.getByRole('button', { name: 'Open new.jpg' }).waitFor();
  const names = await page.locator('figure.tile img').evaluateAll((imgs) => imgs.map((i) => i.alt).sort());
  assert.deepEqual(names, ['from-browser.jpg', 'new.jpg', 'old.jpg']);
  await context.close();
});

test('a member who may only view sees the album read-only, and can leave it', async () => {
  const { context, page } = await signedInPage();
  await page.goto(`${base}${shared.albumPath}`);
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog', { name: 'Share “Summer holiday”' });
  await dialog.getByLabel('Email').fill('cy@example.com');
  await dialog.getByRole('button', { name: 'Share', exact: true }).click();
  await dialog.getByRole('listitem').filter({ hasText: 'cy@example.com' }).getByText('Can view').waitFor();
  await context.close();

  const member = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const cy = await member.newPage();
  await cy.goto(base);
  await cy.getByLabel('Email').fill('cy@example.com');
  await cy.getByLabel('Password').fill('cy-password-1');
  await cy.getByRole('button', { name: 'Sign in' }).click();
  await cy.getByRole('link', { name: 'Albums' }).click();
  const card = cy.getByRole('link', { name: /Summer holiday/ });
  await card.getByText('Shared by Ada').waitFor();
  await card.click();
  await cy.getByRole('heading', { name: 'Summer holiday' }).waitFor();
  await cy.getByText('view only').waitFor();
  for (const name of ['Edit', 'Add photos', 'Share', 'Delete album']) {
    assert.equal(await cy.getByRole('button', { name, exact: true }).count(), 0, name);
  }
  await cy.getByRole('checkbox', { name: 'Select new.jpg' }).click();
  await cy.getByRole('button', { name: 'Download' }).waitFor();
  assert.equal(await cy.getByRole('button', { name: 'Remove from album' }).count(), 0);
  await cy.keyboard.press('Escape');
  await cy.getByRole('button', { name: 'Open new.jpg' }).click();
  const viewer = cy.getByRole('dialog', { name: 'new.jpg' });
  await viewer.getByRole('link', { name: 'Download original' }).waitFor();
  for (const name of ['Favourite', 'Unfavourite', 'Delete', 'Archive', 'Add to album']) {
    assert.equal(await viewer.getByRole('button', { name, exact: true }).count(), 0, name);
  }
  await cy.keyboard.press('Escape');
  cy.once('dialog', (d) => d.accept());
  await cy.getByRole('button', { name: 'Leave album' }).click();
  await cy.getByRole('heading', { name: 'Albums' }).waitFor();
  await cy.getByText('No albums yet').waitFor();
  await member.close();
});

test('state changes need the CSRF header: a plain fetch and HTML forms change nothing', async () => {
  const token = await apiToken();
  const albumsBefore = (await apiGet(token, '/api/v1/albums')).albums.length;
  const { context, page } = await signedInPage();
  const forged = await page.evaluate(async () => {
    const reply = await fetch('/api/v1/albums', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                                  body: JSON.stringify({ name: 'forged' }) });
    return { status: reply.status, body: await reply.json() };
  });
  assert.equal(forged.status, 403);
  assert.equal(forged.body.error.code, 'csrf_header_missing');
  // A classic form can send neither the header nor JSON's type; text/plain can fake a JSON body.
  const submit = async (action, enctype, fields) => {
    await Promise.all([
      page.waitForEvent('load'),
      page.evaluate(([to, type, pairs]) => {
        const form = document.createElement('form');
        form.method = 'POST';
        form.action = to;
        form.enctype = type;
        for (const [name, value] of pairs) {
          const input = document.createElement('input');
          input.name = name;
          input.value = value;
          form.append(input);
        }
        document.body.append(form);
        form.submit();
      }, [action, enctype, fields]),
    ]);
    return page.locator('body').innerText();
  };
  assert.match(await submit('/api/v1/albums', 'text/plain', [['{"name":"form post","x":"', '"}']]), /csrf_header_missing/);
  assert.match(await submit(`/api/v1/albums/${shared.albumId}/assets/remove`, 'application/x-www-form-urlencoded',
                            [['asset_ids', 'x']]), /csrf_header_missing/);
  assert.match(await submit('/api/v1/auth/logout', 'application/x-www-form-urlencoded', []), /csrf_header_missing/);
  const after = (await apiGet(token, '/api/v1/albums')).albums;
  assert.equal(after.length, albumsBefore);
  assert.equal(after.find((a) => a.id === shared.albumId).asset_count, 2);
  // Still signed in: the logout form did nothing either.
  await page.goto(base);
  await page.getByRole('navigation', { name: 'Pages' }).waitFor();
  await context.close();
});

test('the remaining pages pass axe: sign-in and search', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(base);
  await page.getByRole('heading', { name: 'Sign in to Shoebox' }).waitFor();
  await assertAccessible(page, 'sign-in page');
  await page.close();
  const { context, page: app } = await signedInPage();
  await app.getByRole('link', { name: 'Search' }).click();
  await app.getByLabel('Camera').fill('canon');
  await app.getByRole('button', { name: 'Search' }).click();
  await app.getByRole('button', { name: 'Open new.jpg' }).waitFor();
  await assertAccessible(app, 'search');
  await context.close();
});

test('on a phone (375 px): the timeline and the album page', async () => {
  const { context, page } = await signedInPage({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
  await page.locator('figure.tile img').first().waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('figure.tile img')].every((i) => i.complete && i.naturalWidth > 0));
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'no sideways scrolling');
  await page.screenshot({ path: path.join(shots, 'timeline-phone.png') });
  await page.goto(`${base}${shared.albumPath}`);
  await page.getByRole('heading', { name: 'Summer holiday' }).waitFor();
  await page.locator('figure.tile img').nth(1).waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('figure.tile img')].every((i) => i.complete && i.naturalWidth > 0));
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'no sideways scrolling');
  await assertAccessible(page, 'album page on a phone');
  await page.screenshot({ path: path.join(shots, 'album-phone.png') });
  await context.close();
});
