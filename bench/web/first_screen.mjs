// Time from navigation to the first screen of thumbnails painted, in a fresh Chromium context
// (cold cache) each round: the app at `server` (signed in by cookie) vs a static page at
// `staticUrl`. Prints {"app_ms", "static_ms", "tiles"} (best of 5 each).
// Usage: node bench/web/first_screen.mjs SERVER TOKEN STATIC_URL
import { chromium } from '../../web/node_modules/playwright-core/index.mjs';

const [server, token, staticUrl] = process.argv.slice(2);
const ROUNDS = 5;

// Resolves once every <img> inside the window has loaded and a frame has been painted after it;
// returns the milliseconds since navigation started and how many there were.
async function firstScreen(page, url, selector) {
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction((sel) => {
    const inView = [...document.querySelectorAll(sel)].filter((img) => {
      const r = img.getBoundingClientRect();
      return r.bottom > 0 && r.top < window.innerHeight && r.width > 0;
    });
    return inView.length >= 8 && inView.every((img) => img.complete && img.naturalWidth > 0);
  }, selector, { polling: 'raf', timeout: 60_000 });
  return page.evaluate((sel) => new Promise((resolve) => requestAnimationFrame(() => {
    const tiles = [...document.querySelectorAll(sel)].filter((img) => {
      const r = img.getBoundingClientRect();
      return r.bottom > 0 && r.top < window.innerHeight;
    }).length;
    resolve({ ms: performance.now(), tiles });
  })), selector);
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const host = new URL(server).hostname;
let app = Infinity, stat = Infinity, tiles = 0;
for (let i = 0; i < ROUNDS; i++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addCookies([{ name: 'shoebox_session', value: token, domain: host, path: '/' }]);
  const page = await context.newPage();
  const result = await firstScreen(page, server + '/', 'img');
  app = Math.min(app, result.ms);
  tiles = result.tiles;
  await context.close();
  const plain = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const staticPage = await plain.newPage();
  stat = Math.min(stat, (await firstScreen(staticPage, staticUrl, 'img')).ms);
  await plain.close();
}
await browser.close();
console.log(JSON.stringify({ app_ms: app, static_ms: stat, tiles }));
