// An S3-protocol server for the S3 BlobStore adapter's tests: s3rver on 127.0.0.1 with one
// bucket, behind the fault-injecting proxy of fault_proxy.mjs (which also checks every request's
// SigV4 signature, something s3rver 3.7.1 does not do).
//
//   node serve.mjs --dir DIR [--bucket shoebox] [--port 0] [--proxy-port 0]
//
// Prints one line once both listen: "ready s3=PORT proxy=PORT". Exits when its standard input
// closes, so a test process that dies takes the server with it.
//
// s3rver 3.7.1 answers NotImplemented to ListMultipartUploads and MethodNotAllowed to
// AbortMultipartUpload; both are added here over s3rver's own upload folders
// (DIR/BUCKET/._S3rver_uploads/UPLOAD_ID/{key,metadata,1,2,...}).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import S3rver from 's3rver';

import { startFaultProxy } from './fault_proxy.mjs';

const ACCESS_KEY = 'S3RVER';  // the only key pair s3rver knows
const SECRET_KEY = 'S3RVER';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    bucket: { type: 'string', default: 'shoebox' },
    port: { type: 'string', default: '0' },
    'proxy-port': { type: 'string', default: '0' },
  },
});
if (!values.dir) {
  console.error('usage: node serve.mjs --dir DIR [--bucket NAME] [--port N] [--proxy-port N]');
  process.exit(2);
}

const escapeXml = (text) =>
  String(text).replace(/[<>&'"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`);

function uploadsDir(bucket) {
  return path.join(values.dir, bucket, '._S3rver_uploads');
}

function xmlError(ctx, status, code, message) {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
             `<Message>${escapeXml(message)}</Message></Error>`;
}

// GET /BUCKET?uploads[&prefix=P] and DELETE /BUCKET/KEY?uploadId=ID. Runs after s3rver's vhost
// middleware (so virtual-host requests have the bucket in the path) and before its router.
async function multipartAdditions(ctx, next) {
  const parts = ctx.path.split('/');  // ['', bucket, ...key]
  const bucket = decodeURIComponent(parts[1] || '');
  const key = parts.slice(2).map(decodeURIComponent).join('/');
  if (ctx.method === 'GET' && bucket && !key && 'uploads' in ctx.query) {
    const prefix = ctx.query.prefix || '';
    const dir = uploadsDir(bucket);
    const uploads = [];
    for (const id of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      let uploadKey;
      try {
        uploadKey = fs.readFileSync(path.join(dir, id, 'key'), 'utf8');
      } catch {
        continue;  // completed or aborted meanwhile
      }
      if (!uploadKey.startsWith(prefix)) continue;
      const initiated = fs.statSync(path.join(dir, id)).mtime;
      uploads.push({ key: uploadKey, id, initiated });
    }
    uploads.sort((a, b) => (a.key === b.key ? a.id.localeCompare(b.id) : a.key < b.key ? -1 : 1));
    ctx.type = 'application/xml';
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Bucket>${escapeXml(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
      `<Prefix>${escapeXml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
      uploads
        .map((u) => `<Upload><Key>${escapeXml(u.key)}</Key><UploadId>${u.id}</UploadId>` +
                    `<Initiated>${u.initiated.toISOString()}</Initiated>` +
                    '<StorageClass>STANDARD</StorageClass></Upload>')
        .join('') +
      '</ListMultipartUploadsResult>';
    return;
  }
  if (ctx.method === 'DELETE' && bucket && key && 'uploadId' in ctx.query) {
    const id = String(ctx.query.uploadId);
    const dir = path.join(uploadsDir(bucket), id);
    if (!/^[0-9a-f]+$/.test(id) || !fs.existsSync(dir)) {
      xmlError(ctx, 404, 'NoSuchUpload', 'The specified multipart upload does not exist.');
      return;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    ctx.status = 204;
    return;
  }
  await next();
}

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(values.port),
  silent: true,
  directory: values.dir,
  // "BUCKET.s3.localhost" is a virtual-host request for BUCKET (curl resolves *.localhost).
  serviceEndpoint: 'localhost',
  configureBuckets: [{ name: values.bucket }],
});
// Koa composes its middleware when it starts listening; the router is the last one.
server.middleware.splice(server.middleware.length - 1, 0, multipartAdditions);
const s3Address = await server.run();

const proxy = await startFaultProxy({
  port: Number(values['proxy-port']),
  upstreamPort: s3Address.port,
  credentials: { [ACCESS_KEY]: SECRET_KEY },
});

process.stdout.write(`ready s3=${s3Address.port} proxy=${proxy.address().port}\n`);

const stop = () => process.exit(0);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
