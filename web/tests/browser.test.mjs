// The web app in a real browser (Debian's Chromium driven by playwright-core) against a real
// shoebox-server on 127.0.0.1 with a temp data folder: first run, the timeline in capture-time
// order with day headers and real thumbnails, sign out and in, the security headers.
// Screenshots go to build/web-screenshots/. Run: web/tests/run.sh.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
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
  // Admin: add a user, disable them, see the job queue and re-run a kind.
  await page.getByRole('link', { name: 'Admin' }).click();
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

test('file names and EXIF strings holding HTML render as text', async () => {
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
  const page = await context.newPage();
  await page.goto(base);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Photos' }).click();
  await page.getByRole('button', { name: `Open ${payload}.jpg` }).click();
  await page.keyboard.press('i');
  const details = page.getByRole('complementary', { name: 'Details' });
  await details.getByText(payload, { exact: false }).first().waitFor();
  await details.getByText('<script>window.__pwned=2</script>', { exact: false }).first().waitFor();
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.locator('img[src="x"]').count(), 0);
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
