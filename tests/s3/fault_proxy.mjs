// A fault-injecting HTTP proxy between the S3 adapter under test and s3rver, with no dependencies
// beyond Node. Besides forwarding it
//   - checks each request's AWS Signature Version 4 the way S3 does (canonical URI and query
//     re-encoded from their decoded form, signed headers, payload hash) and refuses a mismatch
//     with 403 SignatureDoesNotMatch: s3rver 3.7.1 accepts any V4 signature;
//   - checks that a hex x-amz-content-sha256 matches the body (400 XAmzContentSHA256Mismatch);
//   - applies fault rules that a test sets, and records every request for the test to inspect.
//
// Control endpoints (a bucket name can never start with "__"):
//   PUT    /__faults    body: JSON array of rules, replacing the current ones
//   DELETE /__faults    removes every rule
//   GET    /__requests  JSON array of {method, path, query, host, range, length, status}
//   DELETE /__requests  forgets them
// A rule matches a request when all of its given conditions hold:
//   method: "PUT"; path: a regular expression tested against the raw path; query: a name that
//   must be in the query string (e.g. "uploadId"); times: how many requests it applies to
//   (default: all).
// and then does one of:
//   status: N (+ code: "SlowDown")  answer N with an S3 <Error> document, without forwarding;
//   error_at_200: true              answer 200 with an <Error><Code>InternalError</Code> document;
//   drop: true                      close the connection without answering;
//   delay_ms: N                     wait N ms, then forward.
import crypto from 'node:crypto';
import http from 'node:http';

const CONTROL_PREFIX = '/__';

function encodeRfc3986(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function sha256Hex(data) {
  return crypto.createHash('sha256').update(data).digest('hex');
}

function hmac(key, data) {
  return crypto.createHmac('sha256', key).update(data).digest();
}

function errorXml(code, message) {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
         `<Message>${message.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Message></Error>`;
}

// Returns null when the signature holds, else why not. `rawUrl` is the request target as sent.
function checkSignature(method, rawUrl, headers, credentials) {
  const authorization = headers['authorization'];
  if (!authorization) return null;  // anonymous: s3rver decides
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!match) return 'malformed Authorization header';
  const [, accessKey, date, region, service, signedHeaderList, signature] = match;
  const secret = credentials[accessKey];
  if (secret === undefined) return `unknown access key ${accessKey}`;
  const amzDate = headers['x-amz-date'];
  if (!amzDate || !amzDate.startsWith(date)) return 'x-amz-date missing or not of the credential date';
  const payloadHash = headers['x-amz-content-sha256'];
  if (!payloadHash) return 'x-amz-content-sha256 missing';
  const signedHeaders = signedHeaderList.split(';');
  for (const required of ['host', 'x-amz-date', 'x-amz-content-sha256']) {
    if (!signedHeaders.includes(required)) return `${required} is not signed`;
  }
  for (const name of Object.keys(headers)) {
    if (name.startsWith('x-amz-') && !signedHeaders.includes(name)) return `${name} is not signed`;
  }

  const queryStart = rawUrl.indexOf('?');
  const rawPath = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);
  const rawQuery = queryStart < 0 ? '' : rawUrl.slice(queryStart + 1);
  // S3 encodes each segment of the decoded path once ('/' kept), without normalising it.
  const canonicalUri = rawPath.split('/').map((s) => encodeRfc3986(decodeURIComponent(s))).join('/');
  const canonicalQuery = rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const name = decodeURIComponent(eq < 0 ? p : p.slice(0, eq));
      const value = eq < 0 ? '' : decodeURIComponent(p.slice(eq + 1));
      return [encodeRfc3986(name), encodeRfc3986(value)];
    })
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1))
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = headers[name];
      if (value === undefined) return null;
      return `${name}:${String(value).trim().replace(/\s+/g, ' ')}\n`;
    });
  if (canonicalHeaders.includes(null)) return 'a signed header is missing from the request';
  const canonicalRequest = [method, canonicalUri, canonicalQuery, canonicalHeaders.join(''),
                            signedHeaderList, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key = hmac('AWS4' + secret, date);
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, 'aws4_request');
  const expected = hmac(key, stringToSign).toString('hex');
  if (expected !== signature) {
    return `signature mismatch; the canonical request S3 computes is:\n${canonicalRequest}`;
  }
  return null;
}

export function startFaultProxy({ port = 0, upstreamPort, credentials }) {
  let rules = [];
  let log = [];

  const takeRule = (req, path, query) => {
    for (const rule of rules) {
      if ((rule.times ?? Infinity) <= 0) continue;
      if (rule.method && rule.method !== req.method) continue;
      if (rule.path && !new RegExp(rule.path).test(path)) continue;
      if (rule.query && !query.split('&').some((p) => p.split('=')[0] === rule.query)) continue;
      if (rule.times !== undefined) rule.times -= 1;
      return rule;
    }
    return null;
  };

  const handle = async (req, res, body) => {
    const queryStart = req.url.indexOf('?');
    const path = queryStart < 0 ? req.url : req.url.slice(0, queryStart);
    const query = queryStart < 0 ? '' : req.url.slice(queryStart + 1);

    if (path.startsWith(CONTROL_PREFIX)) {
      const reply = (status, value) => {
        const json = JSON.stringify(value);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
        res.end(json);
      };
      if (path === '/__faults' && req.method === 'PUT') {
        rules = JSON.parse(body.toString() || '[]');
        return reply(200, rules);
      }
      if (path === '/__faults' && req.method === 'DELETE') {
        rules = [];
        return reply(200, []);
      }
      if (path === '/__requests' && req.method === 'GET') return reply(200, log);
      if (path === '/__requests' && req.method === 'DELETE') {
        log = [];
        return reply(200, []);
      }
      return reply(404, { error: 'unknown control endpoint' });
    }

    const entry = {
      method: req.method, path, query, host: req.headers.host, range: req.headers.range ?? '',
      length: body.length, status: 0,
    };
    log.push(entry);
    const answer = (status, xml) => {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
      res.end(xml);
    };

    const problem = checkSignature(req.method, req.url, req.headers, credentials);
    if (problem) {
      process.stderr.write(`fault_proxy: ${req.method} ${req.url}: ${problem}\n`);
      return answer(403, errorXml('SignatureDoesNotMatch', problem));
    }
    const payloadHash = req.headers['x-amz-content-sha256'];
    if (/^[0-9a-f]{64}$/.test(payloadHash || '') && sha256Hex(body) !== payloadHash) {
      return answer(400, errorXml('XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 does not match the body.'));
    }

    const rule = takeRule(req, path, query);
    if (rule?.drop) {
      entry.status = -1;
      req.socket.destroy();
      return;
    }
    if (rule?.status) {
      return answer(rule.status, errorXml(rule.code || 'InternalError', 'injected by fault_proxy'));
    }
    if (rule?.error_at_200) {
      return answer(200, errorXml('InternalError', 'We encountered an internal error. Please try again.'));
    }
    if (rule?.delay_ms) await new Promise((resolve) => setTimeout(resolve, rule.delay_ms));

    const headers = { ...req.headers };
    delete headers['expect'];
    delete headers['transfer-encoding'];
    if (body.length > 0 || 'content-length' in req.headers) headers['content-length'] = String(body.length);
    const upstream = http.request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers },
      (upstreamRes) => {
        entry.status = upstreamRes.statusCode;
        res.writeHead(upstreamRes.statusCode, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      entry.status = 502;
      if (!res.headersSent) answer(502, errorXml('BadGateway', String(err)));
      else res.destroy();
    });
    upstream.end(body);
  };

  const server = http.createServer((req, res) => {
    const pieces = [];
    req.on('data', (piece) => pieces.push(piece));
    req.on('end', () => {
      handle(req, res, Buffer.concat(pieces)).catch((err) => {
        process.stderr.write(`fault_proxy: ${err.stack}\n`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  });
  // Longer than any client's idle pool keeps a connection, so reuse never races a close.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 130_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
