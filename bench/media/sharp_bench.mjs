#!/usr/bin/env node
// Peer for Shoebox's thumbnail/preview benchmark: sharp, the library Immich uses.
//   node bench/media/sharp_bench.mjs DIR OUTDIR [--concurrency N] [--vips-threads N]
//                                    [--chroma 4:4:4|4:2:0] [--webp-effort 0-6] [--ext jpg,jpeg,...]
// For every image in DIR writes OUTDIR/<name>.thumb.webp (short side 250, WebP quality 80) and
// OUTDIR/<name>.preview.jpg (long side 1440, JPEG quality 80, mozjpeg: false, so baseline
// libjpeg-turbo-style output; sharp's optimiseCoding defaults to true, vipsthumbnail's to false),
// EXIF orientation applied, sRGB, no metadata. Prints one JSON line; peak RSS is measured by
// the caller (run_peer.sh), so peak_rss_mb is null here.
//
// The pipeline is Immich's (server/src/services/media.service.ts generateImageThumbnails and
// server/src/repositories/media.repository.ts): ONE decode of the original, auto-rotated and
// shrunk to the preview size (with shrink-on-load where the factor allows), to raw pixels; then
// the thumbnail and the preview are encoded from that buffer, both at once. As in Immich:
// failOn 'error', no input pixel limit, pipelineColorspace('srgb'), sharp.cache({ files: 0 }),
// and JPEG chroma 4:4:4 at quality >= 80 (Immich sets it; libvips' own default, and so
// vipsthumbnail's, is 4:2:0 below quality 90: --chroma 4:2:0 matches that).
// Differences from Immich, on purpose: the preview is 1440 on its LONG side (Immich: fit
// 'outside', so 1440 on the short side), no embedded sRGB ICC profile (Immich's
// withIccProfile('srgb') attaches one; here outputs carry no metadata at all), no thumbhash,
// and sharp's own default thread count (Immich calls sharp.concurrency(0), i.e. one libvips
// thread per core; sharp's default on glibc without jemalloc is 1): --vips-threads 0 for Immich's.
// WebP effort is sharp's and Immich's default, 4 (vipsthumbnail's too): --webp-effort to change.
import sharp from 'sharp';
import { availableParallelism } from 'node:os';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const THUMB_SHORT_SIDE = 250;
const PREVIEW_LONG_SIDE = 1440;
const QUALITY = 80;
const IMAGE_EXT = 'jpg,jpeg,heic,heif,avif,png,webp,tif,tiff';

function usage(msg) {
  if (msg) console.error(`sharp_bench: ${msg}`);
  console.error('usage: sharp_bench.mjs DIR OUTDIR [--concurrency N] [--vips-threads N] [--chroma 4:4:4|4:2:0] [--webp-effort 0-6] [--ext jpg,jpeg,...]');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { concurrency: availableParallelism(), vipsThreads: null, chroma: '4:4:4', webpEffort: 4, ext: IMAGE_EXT };
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--concurrency') opts.concurrency = Number.parseInt(value(), 10);
    else if (a === '--vips-threads') opts.vipsThreads = Number.parseInt(value(), 10);
    else if (a === '--chroma') opts.chroma = value();
    else if (a === '--ext') opts.ext = value();
    else if (a === '--webp-effort') opts.webpEffort = Number.parseInt(value(), 10);
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length !== 2) usage();
  if (!(opts.concurrency >= 1)) usage('--concurrency must be >= 1');
  if (opts.vipsThreads !== null && !(opts.vipsThreads >= 0)) usage('--vips-threads must be >= 0');
  if (!['4:4:4', '4:2:0'].includes(opts.chroma)) usage('--chroma is 4:4:4 or 4:2:0');
  if (!(opts.webpEffort >= 0 && opts.webpEffort <= 6)) usage('--webp-effort is 0 to 6');
  [opts.dir, opts.outDir] = positional;
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
sharp.cache({ files: 0 });
if (opts.vipsThreads !== null) sharp.concurrency(opts.vipsThreads);

// The prebuilt libvips that sharp ships reads HEIF only with the AV1 codec (AVIF): it has no
// HEVC decoder, for patent reasons, so camera HEICs cannot be read and are skipped (counted).
const heifSuffixes = sharp.format.heif?.input?.fileSuffix ?? [];
const canReadHeic = heifSuffixes.includes('.heic');

async function processOne(file) {
  const name = path.parse(file).name;
  const { data, info } = await sharp(file, { failOn: 'error', limitInputPixels: false })
    .pipelineColorspace('srgb')
    .rotate()
    .resize(PREVIEW_LONG_SIDE, PREVIEW_LONG_SIDE, { fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  await Promise.all([
    sharp(data, raw)
      .resize(THUMB_SHORT_SIDE, THUMB_SHORT_SIDE, { fit: 'outside', withoutEnlargement: true })
      .webp({ quality: QUALITY, effort: opts.webpEffort })
      .toFile(path.join(opts.outDir, `${name}.thumb.webp`)),
    sharp(data, raw)
      .jpeg({ quality: QUALITY, mozjpeg: false, chromaSubsampling: opts.chroma })
      .toFile(path.join(opts.outDir, `${name}.preview.jpg`)),
  ]);
}

const wanted = new Set(opts.ext.split(',').map((e) => `.${e.trim().toLowerCase()}`));
const entries = (await readdir(opts.dir, { withFileTypes: true }))
  .filter((e) => e.isFile() && wanted.has(path.extname(e.name).toLowerCase()))
  .map((e) => path.join(opts.dir, e.name))
  .sort();
const isHeic = (f) => ['.heic', '.heif'].includes(path.extname(f).toLowerCase());
const files = canReadHeic ? entries : entries.filter((f) => !isHeic(f));
const skipped = entries.length - files.length;
await mkdir(opts.outDir, { recursive: true });

let next = 0;
let done = 0;
let failed = 0;
async function worker() {
  while (next < files.length) {
    const file = files[next++];
    try {
      await processOne(file);
      done++;
    } catch (err) {
      failed++;
      console.error(`sharp_bench: ${file}: ${err.message}`);
    }
  }
}

const t0 = performance.now();
await Promise.all(Array.from({ length: Math.min(opts.concurrency, files.length) }, worker));
const seconds = (performance.now() - t0) / 1000;

const result = {
  tool: 'sharp',
  photos: done,
  seconds: Number(seconds.toFixed(3)),
  photos_per_second: Number((seconds > 0 ? done / seconds : 0).toFixed(2)),
  peak_rss_mb: null,
  failed,
  skipped,
  concurrency: opts.concurrency,
  vips_threads: sharp.concurrency(),
  jpeg_chroma: opts.chroma,
  webp_effort: opts.webpEffort,
  sharp: sharp.versions.sharp,
  libvips: sharp.versions.vips,
};
if (skipped) {
  result.note = `skipped ${skipped} HEIC/HEIF: sharp's prebuilt libvips has no HEVC decoder (heif reads ${heifSuffixes.join(' ') || 'nothing'})`;
}
console.log(JSON.stringify(result));
process.exitCode = failed ? 1 : 0;
