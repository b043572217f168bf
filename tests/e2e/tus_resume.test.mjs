// End-to-end: the real tus client (tus-js-client, as used by web and React Native apps) against a
// real shoebox-server. An upload is cut off in the middle of a PATCH, the server must keep the
// bytes it received, and a new client resumes from that offset and completes the upload.
//
// Run: ./run.sh (or `node --test` here after `npm ci`). SHOEBOX_SERVER_BIN overrides the server
// binary (default ../../build/bin/shoebox-server). SHOEBOX_E2E_KEEP=1 keeps the temp dir.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { Upload } from 'tus-js-client';

const here = path.dirname(fileURLToPath(import.meta.url));
const serverBin = path.resolve(
  here,
  process.env.SHOEBOX_SERVER_BIN || path.join('..', '..', 'build', 'bin', 'shoebox-server'),
);

const MiB = 1024 * 1024;
const FILE_SIZE = 20 * MiB;
const CHUNK_SIZE = 8 * MiB; // first upload: PATCHes of 8 MiB, cut inside the second one
const RESUME_CHUNK_SIZE = 4 * MiB;
const MTIME = 1_700_000_000; // Unix seconds, 2023-11-14T22:13:20Z
const EMAIL = 'e2e@example.com';
const PASSWORD = 'e2e-password-123';
// JFIF header: libmagic reports image/jpeg for this followed by anything.
const JPEG_HEAD = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);

const execFileP = promisify(execFile);
const sha256Hex = (data) => crypto.createHash('sha256').update(data).digest('hex');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// For Promise.race deadlines: an unref'd timer does not keep the test process alive afterwards.
const deadline = (ms, value) => new Promise((resolve) => setTimeout(resolve, ms, value).unref());

// ---------------------------------------------------------------------------------------------
// The server process

// The child's environment without SHOEBOX_* settings that could leak in from the caller's shell.
function serverEnv() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('SHOEBOX_')) env[key] = value;
  }
  return env;
}

class ServerProcess {
  constructor(dataDir) {
    this.dataDir = dataDir;
    this.child = null;
    this.baseUrl = null;
    this.logLines = [];
    this.exited = null;
  }

  async start() {
    const child = spawn(serverBin, ['--data', this.dataDir, '--listen', '127.0.0.1:0'], {
      env: serverEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // Last resort if the test process dies without running `after`: never leave a server behind.
    const orphanGuard = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
    process.once('exit', orphanGuard);
    child.once('exit', () => process.off('exit', orphanGuard));
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
      child.on('error', (error) => resolve({ code: null, signal: null, error }));
    });
    const logFile = fs.createWriteStream(path.join(path.dirname(this.dataDir), 'server.log'));
    const keep = (chunk) => {
      logFile.write(chunk);
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line) this.logLines.push(line);
      }
      if (this.logLines.length > 400) this.logLines.splice(0, this.logLines.length - 400);
    };
    child.stderr.on('data', keep);
    child.once('close', () => logFile.end());
    let stdout = '';
    this.baseUrl = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start in 20 s:\n${this.log()}`)), 20_000);
      timer.unref();
      child.stdout.on('data', (chunk) => {
        keep(chunk);
        stdout += chunk.toString('utf8');
        const match = /listening on (http:\/\/\S+)/.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      this.exited.then(({ code, signal, error }) => {
        clearTimeout(timer);
        reject(new Error(`server exited before listening (code ${code}, signal ${signal}` +
                         `${error ? `, ${error.message}` : ''}):\n${this.log()}`));
      });
    });
  }

  // SIGTERM, then wait; SIGKILL if it does not stop within the shutdown grace period plus slack.
  async stop() {
    if (!this.child) return { code: 0, signal: null };
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    let result = await Promise.race([this.exited, deadline(25_000, null)]);
    if (result === null) {
      this.child.kill('SIGKILL');
      result = { ...(await this.exited), killed: true };
    }
    return result;
  }

  log(lines = 40) {
    return this.logLines.slice(-lines).join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// A TCP proxy between the client and the server, standing in for a network that dies: it passes
// client bytes on until `holdAfter` of them went through, then passes nothing more (the request
// hangs mid-body; the client's socket buffers fill up). cut() then closes the server side of every
// connection cleanly (FIN after what was passed on), as a NAT or a dying phone would.

async function startHoldingProxy(targetPort, holdAfter) {
  let forwarded = 0;
  let holding = false;
  let onHeld;
  const held = new Promise((resolve) => { onHeld = resolve; });
  const pairs = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.on('close', () => upstream.end());
    upstream.on('close', () => { pairs.delete(pair); client.destroy(); });
    upstream.on('data', (data) => { if (!client.destroyed) client.write(data); });
    client.on('data', (data) => {
      if (holding) return;  // never passed on: this connection is about to be cut
      const room = holdAfter - forwarded;
      if (data.length >= room) {
        upstream.write(data.subarray(0, room));
        forwarded += room;
        holding = true;
        client.pause();  // stop reading: the client sees a stalled network
        onHeld(forwarded);
        return;
      }
      forwarded += data.length;
      if (!upstream.write(data)) {
        client.pause();
        upstream.once('drain', () => { if (!holding) client.resume(); });
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    held,
    cut: () => new Promise((resolve) => {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.end();
      }
      server.close(() => resolve());
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// tus-js-client helpers

// Runs one tus Upload to the end. Resolves with what happened; rejects with the client's error.
function runUpload(input, options, { onUpload } = {}) {
  const seen = { requests: [], patchOffsets: [], progress: [], responses: [], assetIds: [] };
  const promise = new Promise((resolve, reject) => {
    const upload = new Upload(input, {
      ...options,
      onBeforeRequest(req) {
        seen.requests.push(req.getMethod());
        if (req.getMethod() === 'PATCH') seen.patchOffsets.push(Number(req.getHeader('Upload-Offset')));
        return options.onBeforeRequest?.(req);
      },
      onAfterResponse(req, res) {
        const entry = {
          method: req.getMethod(),
          status: res.getStatus(),
          offset: res.getHeader('Upload-Offset'),
          assetId: res.getHeader('Shoebox-Asset-Id'),
          duplicate: res.getHeader('Shoebox-Duplicate'),
        };
        seen.responses.push(entry);
        if (entry.assetId) seen.assetIds.push(entry.assetId);
        return options.onAfterResponse?.(req, res);
      },
      onProgress(sent, total) {
        seen.progress.push(sent);
        options.onProgress?.(sent, total);
      },
      onSuccess({ lastResponse }) {
        resolve({ upload, lastResponse, seen });
      },
      onError(error) {
        error.seen = seen;
        reject(error);
      },
    });
    onUpload?.(upload, seen);
    upload.start();
  });
  return promise;
}

// ---------------------------------------------------------------------------------------------

describe('tus-js-client against shoebox-server', { timeout: 180_000 }, () => {
  let tmpDir;
  let server;
  let token;
  let photoPath;
  let photoSha;
  let firstAssetId;

  const auth = () => ({ Authorization: `Bearer ${token}` });
  const api = (p, init = {}) =>
    fetch(server.baseUrl + p, { ...init, headers: { ...auth(), ...(init.headers || {}) } });
  const metadataFor = (filename, sha256) => ({
    filename,
    sha256,
    mtime: String(MTIME),
    device_id: 'e2e-node',
    device_asset_id: `asset-${filename}`,
  });

  async function headUpload(uploadUrl) {
    const url = new URL(new URL(uploadUrl).pathname, server.baseUrl);
    const res = await fetch(url, { method: 'HEAD', headers: { ...auth(), 'Tus-Resumable': '1.0.0' } });
    return {
      status: res.status,
      offset: res.headers.get('upload-offset') === null ? null : Number(res.headers.get('upload-offset')),
      length: res.headers.get('upload-length') === null ? null : Number(res.headers.get('upload-length')),
      assetId: res.headers.get('shoebox-asset-id'),
    };
  }

  async function listAssets() {
    const res = await api('/api/v1/assets');
    assert.equal(res.status, 200, `GET /api/v1/assets: ${res.status} ${await res.clone().text()}`);
    return (await res.json()).assets;
  }

  async function writeJpeg(name, size) {
    const data = Buffer.concat([JPEG_HEAD, crypto.randomBytes(size - JPEG_HEAD.length)]);
    const file = path.join(tmpDir, name);
    await fsp.writeFile(file, data);
    await fsp.utimes(file, MTIME, MTIME);
    return { file, data, sha: sha256Hex(data) };
  }

  // Adds the server's recent log lines to a failure, which is otherwise hard to understand.
  const withLog = (fn) => async (t) => {
    try {
      await fn(t);
    } catch (error) {
      if (server) error.message += `\n--- server log (last lines) ---\n${server.log()}`;
      throw error;
    }
  };

  before(async () => {
    await fsp.access(serverBin, fs.constants.X_OK).catch(() => {
      throw new Error(`no server binary at ${serverBin}; build it or set SHOEBOX_SERVER_BIN`);
    });
    tmpDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'shoebox-e2e-'));
    const dataDir = path.join(tmpDir, 'data');
    await execFileP(serverBin, ['admin', 'create-user', '--data', dataDir, '--email', EMAIL,
                                '--password', PASSWORD], { env: serverEnv() });
    server = new ServerProcess(dataDir);
    await server.start();

    const login = await fetch(`${server.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
    });
    assert.equal(login.status, 200, `login: ${login.status} ${await login.clone().text()}`);
    token = (await login.json()).token;
    assert.ok(token, 'login returned a token');

    const photo = await writeJpeg('photo.jpg', FILE_SIZE);
    photoPath = photo.file;
    photoSha = photo.sha;
  });

  after(async () => {
    try {
      if (server) {
        const exit = await server.stop();
        assert.deepEqual({ code: exit.code, signal: exit.signal, killed: !!exit.killed },
                         { code: 0, signal: null, killed: false },
                         `server did not stop cleanly on SIGTERM:\n${server.log()}`);
      }
    } finally {
      if (tmpDir && !process.env.SHOEBOX_E2E_KEEP) {
        await fsp.rm(tmpDir, { recursive: true, force: true });
      } else if (tmpDir) {
        console.log(`# kept ${tmpDir}`);
      }
    }
  });

  test('an upload cut off mid-PATCH resumes from the offset the server kept', withLog(async (t) => {
    // 1. Upload through a proxy that stops forwarding at 45% of the file: the first 8 MiB PATCH
    //    completes, the second hangs in the middle of its body. Then the client aborts.
    const holdAfter = Math.floor(FILE_SIZE * 0.45);
    const proxy = await startHoldingProxy(new URL(server.baseUrl).port, holdAfter);
    let first;
    let firstSeen;
    const source = fs.createReadStream(photoPath);
    try {
      const outcome = runUpload(source, {
        endpoint: `${proxy.url}/api/v1/uploads`,
        headers: auth(),
        chunkSize: CHUNK_SIZE,
        metadata: metadataFor('interrupted.jpg', photoSha),
        retryDelays: null,
      }, { onUpload: (u, seen) => { first = u; firstSeen = seen; } });
      outcome.catch(() => {});  // it never settles after abort(); a failure before is reported below
      const stalled = await Promise.race([
        proxy.held.then(() => 'held'),
        outcome.then(() => 'finished', (error) => { throw error; }),
        deadline(60_000, 'timeout'),
      ]);
      assert.equal(stalled, 'held', 'the upload should stall at the proxy');
      // The client sees a stalled upload and gives up on it, as an app does on a network change.
      await sleep(200);
      await first.abort();
    } finally {
      await proxy.cut();  // the server's connection ends in the middle of the PATCH body
      source.destroy();
    }
    assert.ok(first.url, 'the upload got a URL from the creation POST');
    assert.deepEqual(firstSeen.requests, ['POST', 'PATCH', 'PATCH']);
    assert.deepEqual(firstSeen.responses.map((r) => [r.method, r.status]), [['POST', 201], ['PATCH', 204]],
                     'the second PATCH got no response');
    const sentBeforeCut = Math.max(...firstSeen.progress);
    assert.ok(sentBeforeCut > CHUNK_SIZE && sentBeforeCut < FILE_SIZE,
              `client progress before the cut: ${sentBeforeCut} of ${FILE_SIZE}`);

    // 2. The server keeps the bytes of the interrupted PATCH: its offset ends up past the first
    //    chunk, below the whole file, and no further than what the proxy forwarded.
    const uploadUrl = new URL(new URL(first.url).pathname, server.baseUrl).toString();
    let status;
    const giveUpAt = Date.now() + 15_000;
    do {
      status = await headUpload(uploadUrl);
      assert.equal(status.status, 200, `HEAD ${uploadUrl} -> ${status.status}`);
      if (status.offset > CHUNK_SIZE) break;
      await sleep(100);
    } while (Date.now() < giveUpAt);
    const keptOffset = status.offset;
    assert.equal(status.length, FILE_SIZE);
    assert.ok(keptOffset > CHUNK_SIZE,
              `15 s after the cut the server still reports offset ${keptOffset}: it should have ` +
              `kept the bytes of the interrupted second PATCH (offset > ${CHUNK_SIZE})`);
    assert.ok(keptOffset < FILE_SIZE, `server offset ${keptOffset} should be < ${FILE_SIZE}`);
    assert.ok(keptOffset <= holdAfter, `server offset ${keptOffset} > bytes forwarded ${holdAfter}`);
    assert.equal(status.assetId, null, 'an unfinished upload has no asset');

    // 3. A new client resumes at that URL (directly, the "network" is back). It must ask HEAD,
    //    then send PATCHes starting at the kept offset, never create a new upload.
    const resumed = await runUpload(fs.createReadStream(photoPath), {
      uploadUrl,
      headers: auth(),
      chunkSize: RESUME_CHUNK_SIZE,
      metadata: metadataFor('interrupted.jpg', photoSha),
      // The interrupted request may hold the upload's lease for a moment (423); the client retries.
      retryDelays: [200, 500, 1000, 2000],
    });
    const { seen, lastResponse } = resumed;
    assert.ok(!seen.requests.includes('POST'), `resume must not create a new upload: ${seen.requests}`);
    assert.equal(seen.requests[0], 'HEAD');
    const firstHead = seen.responses.find((r) => r.method === 'HEAD');
    assert.equal(Number(firstHead.offset), keptOffset, 'the client learned the kept offset');
    assert.equal(seen.patchOffsets[0], keptOffset, `first PATCH offset ${seen.patchOffsets[0]}`);
    assert.ok(seen.patchOffsets.every((o) => o >= keptOffset), `PATCH offsets ${seen.patchOffsets}`);
    assert.equal(seen.progress[0], keptOffset, 'progress starts at the kept offset, not 0');
    const patches = seen.responses.filter((r) => r.method === 'PATCH' && r.status === 204);
    assert.equal(patches.length, Math.ceil((FILE_SIZE - keptOffset) / RESUME_CHUNK_SIZE),
                 `successful PATCHes: ${JSON.stringify(seen.responses)}`);

    // 4. The completing response names the asset; it is new, not a duplicate.
    const assetId = lastResponse.getHeader('Shoebox-Asset-Id');
    assert.ok(assetId, 'the completing PATCH carries Shoebox-Asset-Id');
    assert.equal(lastResponse.getHeader('Shoebox-Duplicate'), undefined);
    assert.equal(lastResponse.getHeader('Upload-Offset'), String(FILE_SIZE));
    assert.deepEqual(seen.assetIds, [assetId], 'only the completing response names the asset');
    firstAssetId = assetId;
    t.diagnostic(`cut after ${holdAfter} bytes passed on; server kept ${keptOffset} of ${FILE_SIZE}; ` +
                 `resume: ${seen.requests.join(' ')} at offsets ${seen.patchOffsets.join(', ')}`);

    // 5. The stored original is byte-identical to the local file.
    const original = await api(`/api/v1/assets/${assetId}/original`);
    assert.equal(original.status, 200);
    const bytes = Buffer.from(await original.arrayBuffer());
    assert.equal(bytes.length, FILE_SIZE);
    assert.equal(sha256Hex(bytes), photoSha, 'downloaded original has the local file\'s SHA-256');

    const asset = (await listAssets()).find((a) => a.id === assetId);
    assert.ok(asset, 'the asset is listed');
    assert.equal(asset.sha256, photoSha);
    assert.equal(asset.size_bytes, FILE_SIZE);
    assert.equal(asset.original_name, 'interrupted.jpg');
    assert.equal(asset.mime_type, 'image/jpeg');
    assert.equal(asset.kind, 'photo');
    assert.equal(Date.parse(asset.file_mtime), MTIME * 1000);
    assert.equal(asset.device_id, 'e2e-node');
    assert.equal(asset.device_asset_id, 'asset-interrupted.jpg');

    // 6. A client that lost the completing response can still ask what the upload became.
    const done = await headUpload(uploadUrl);
    assert.equal(done.status, 200);
    assert.equal(done.offset, FILE_SIZE);
    assert.equal(done.assetId, assetId);
  }));

  test('uploading the same file again completes as a duplicate of the same asset', withLog(async () => {
    if (!firstAssetId) {
      // The resume test failed; store the file once so this test still checks duplicates.
      const once = await runUpload(fs.createReadStream(photoPath), {
        endpoint: `${server.baseUrl}/api/v1/uploads`,
        headers: auth(),
        chunkSize: CHUNK_SIZE,
        metadata: metadataFor('photo.jpg', photoSha),
      });
      firstAssetId = once.lastResponse.getHeader('Shoebox-Asset-Id');
    }
    const before = await listAssets();

    const again = await runUpload(fs.createReadStream(photoPath), {
      endpoint: `${server.baseUrl}/api/v1/uploads`,
      headers: auth(),
      chunkSize: CHUNK_SIZE,
      metadata: metadataFor('same-again.jpg', photoSha),
    });
    assert.equal(again.seen.requests[0], 'POST', 'a fresh upload is created');
    assert.equal(again.seen.patchOffsets[0], 0);
    assert.equal(again.lastResponse.getStatus(), 204);
    assert.equal(again.lastResponse.getHeader('Shoebox-Duplicate'), 'true');
    assert.equal(again.lastResponse.getHeader('Shoebox-Asset-Id'), firstAssetId);

    const afterList = await listAssets();
    assert.equal(afterList.length, before.length, 'a duplicate adds no asset');
    assert.equal(afterList.filter((a) => a.sha256 === photoSha).length, 1);
  }));

  test('creation-with-upload: a small file completes in the creating POST', withLog(async () => {
    const small = await writeJpeg('small.jpg', 1 * MiB);
    const result = await runUpload(small.data, {
      endpoint: `${server.baseUrl}/api/v1/uploads`,
      headers: auth(),
      uploadDataDuringCreation: true,
      metadata: metadataFor('small.jpg', small.sha),
    });
    assert.deepEqual(result.seen.requests, ['POST']);
    assert.equal(result.lastResponse.getStatus(), 201);
    assert.equal(result.lastResponse.getHeader('Upload-Offset'), String(small.data.length));
    const assetId = result.lastResponse.getHeader('Shoebox-Asset-Id');
    assert.ok(assetId, 'the POST that completes the upload names the asset');
    const original = await api(`/api/v1/assets/${assetId}/original`);
    assert.equal(original.status, 200);
    assert.equal(sha256Hex(Buffer.from(await original.arrayBuffer())), small.sha);
  }));

  test('a wrong sha256 in the metadata is refused with 460 and the upload is discarded', withLog(async () => {
    const file = await writeJpeg('wrong-sha.jpg', 2 * MiB);
    const announced = sha256Hex(Buffer.from('not the file'));
    const before = await listAssets();
    let upload;
    const error = await runUpload(fs.createReadStream(file.file), {
      endpoint: `${server.baseUrl}/api/v1/uploads`,
      headers: auth(),
      chunkSize: 1 * MiB,
      metadata: metadataFor('wrong-sha.jpg', announced),
      // default retryDelays: a 4xx like 460 must not be retried
    }, { onUpload: (u) => { upload = u; } }).then(
      () => assert.fail('the upload should have been refused'),
      (e) => e,
    );
    assert.ok(error.originalResponse, `an HTTP error, not ${error.message}`);
    assert.equal(error.originalResponse.getStatus(), 460, error.message);
    assert.equal(error.originalRequest.getMethod(), 'PATCH');
    const body = JSON.parse(error.originalResponse.getBody());
    assert.equal(body.error.code, 'sha256_mismatch', JSON.stringify(body));
    assert.deepEqual(error.seen.requests, ['POST', 'PATCH', 'PATCH'], 'refused at the last PATCH, not retried');
    assert.equal(error.seen.assetIds.length, 0);

    // The upload was discarded, and no asset was made.
    const head = await headUpload(upload.url);
    assert.equal(head.status, 404, 'the refused upload is gone');
    const afterList = await listAssets();
    assert.equal(afterList.length, before.length);
    assert.ok(!afterList.some((a) => a.sha256 === file.sha));
  }));
});
