#!/usr/bin/env node
// Object-store peers for the cache tests: s3rver (S3) and azurite (Azure blob),
// presigned/SAS URLs as GitLab Runner makes them, and direct put/get/head.
// The packages come from tests/npm (scripts/install-test-deps); run with
// NODE_PATH=<that node_modules> (tests/integration/lib.sh: objstore).
//
//   s3 --dir D | azure --dir D       serve on 127.0.0.1:<free port>, create bucket or
//                                    container "cache", print "PORT <n>", run until killed
//   presign s3 --endpoint E [--bucket B] --key K --method GET|PUT|HEAD [--meta k=v]... [--expires S]
//   presign azure --endpoint E [--container C] --blob K --method GET|PUT|HEAD [--expires S]
//                                    URL on line 1, then "Name: value" per header to send
//   put s3|azure ... --file F [--meta k=v]...   upload F as the object
//   get s3|azure ... [--file F]                 the object's bytes to F (or stdout)
//   head s3|azure ...                           {"size","lastModified","contentType","metadata"}
// A missing object makes get and head print "not found" on stderr and exit 3.
// With OBJSTORE_LOG=<file>, s3 and azure append one JSON line per request to it:
// {"method", "url", "rawHeaders": [[name, value], ...]} (as received).
//
// s3rver does not check V4 signatures, so the S3 server here checks presigned
// requests itself (as S3 does: signed headers, expiry) and rejects a request
// carrying two Host headers, as Go's and S3's servers do.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');

// The AWS SDK nags about node versions on stderr; nothing here cares.
const emitWarning = process.emitWarning;
process.emitWarning = function (w, ...rest) {
  const name = (rest[0] && rest[0].type) || rest[0] || (w && w.name);
  if (name === 'NodeVersionSupportWarning' || String(w).includes('NodeVersionSupportWarning')) return;
  return emitWarning.call(process, w, ...rest);
};

const S3_KEY = 'S3RVER', S3_SECRET = 'S3RVER', S3_REGION = 'us-east-1';
const AZ_ACCOUNT = 'devstoreaccount1';
const AZ_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

function parseArgs(argv) {
  const o = { _: [], meta: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { o._.push(a); continue; }
    const v = argv[++i];
    if (v === undefined) die(`${a} needs a value`);
    if (a === '--meta') {
      const eq = v.indexOf('=');
      if (eq < 1) die(`--meta wants k=v, got ${v}`);
      o.meta[v.slice(0, eq)] = v.slice(eq + 1);
    } else {
      o[a.slice(2)] = v;
    }
  }
  return o;
}

function die(msg, code = 2) {
  process.stderr.write(`objstore: ${msg}\n`);
  process.exit(code);
}

function need(o, k) {
  if (o[k] === undefined) die(`--${k} is required`);
  return o[k];
}

// OBJSTORE_LOG: a line per request, before the store handles it.
function logRequests(server) {
  const file = process.env.OBJSTORE_LOG;
  if (!file) return;
  server.prependListener('request', req => {
    const rawHeaders = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) rawHeaders.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
    fs.appendFileSync(file, JSON.stringify({ method: req.method, url: req.url, rawHeaders }) + '\n');
  });
}

function keepRunning(close) {
  const stop = () => Promise.resolve(close()).finally(() => process.exit(0));
  process.once('SIGTERM', stop).once('SIGINT', stop);
}

// ---- S3 ----

function hmac(key, s) { return crypto.createHmac('sha256', key).update(s).digest(); }
function sha256hex(s) { return crypto.createHash('sha256').update(s).digest('hex'); }
function rfc3986(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

// Checks a presigned (query) SigV4 request; returns an error text or null.
function checkPresignedV4(req) {
  const hosts = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === 'host') hosts.push(req.rawHeaders[i + 1]);
  }
  if (hosts.length !== 1) return [400, 'InvalidRequest', `want one Host header, got ${hosts.length}`];
  const qi = req.url.indexOf('?');
  if (qi < 0) return null;
  const pairs = req.url.slice(qi + 1).split('&').filter(Boolean).map(p => {
    const eq = p.indexOf('=');
    const dec = s => decodeURIComponent(s.replace(/\+/g, ' '));
    return eq < 0 ? [dec(p), ''] : [dec(p.slice(0, eq)), dec(p.slice(eq + 1))];
  });
  const q = Object.fromEntries(pairs);
  if (!q['X-Amz-Algorithm']) return null;
  const date = q['X-Amz-Date'] || '';
  const t = Date.parse(date.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (isNaN(t) || Date.now() > t + 1000 * Number(q['X-Amz-Expires'] || 0)) {
    return [403, 'AccessDenied', 'Request has expired'];
  }
  const signed = (q['X-Amz-SignedHeaders'] || '').split(';');
  const canonHeaders = signed.map(h => {
    const v = req.headers[h];
    return `${h}:${v === undefined ? '' : String(v).trim().replace(/\s+/g, ' ')}\n`;
  }).join('');
  const canonQuery = pairs.filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`).join('&');
  const canon = [req.method, req.url.slice(0, qi), canonQuery, canonHeaders, signed.join(';'), 'UNSIGNED-PAYLOAD'].join('\n');
  const scope = (q['X-Amz-Credential'] || '').split('/').slice(1).join('/');
  const toSign = ['AWS4-HMAC-SHA256', date, scope, sha256hex(canon)].join('\n');
  const [day, region, service] = scope.split('/');
  const key = hmac(hmac(hmac(hmac('AWS4' + S3_SECRET, day), region), service), 'aws4_request');
  if (hmac(key, toSign).toString('hex') !== q['X-Amz-Signature']) {
    return [403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'];
  }
  return null;
}

// Checks a header-signed SigV4 request (Authorization: AWS4-HMAC-SHA256 ...), as
// S3 does; a request with neither form of signature is refused.
function checkHeaderV4(req) {
  const auth = req.headers.authorization || '';
  const m = auth.match(/^AWS4-HMAC-SHA256 Credential=([^/]+)\/([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/);
  if (!m) return [403, 'AccessDenied', 'Anonymous access is forbidden for this operation'];
  if (m[1] !== 'S3RVER') return [403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'];
  const scope = m[2], signed = m[3].split(';'), date = req.headers['x-amz-date'] || '';
  const qi = req.url.indexOf('?');
  const pairs = qi < 0 ? [] : req.url.slice(qi + 1).split('&').filter(Boolean).map(p => {
    const eq = p.indexOf('=');
    const dec = s => decodeURIComponent(s.replace(/\+/g, ' '));
    return eq < 0 ? [dec(p), ''] : [dec(p.slice(0, eq)), dec(p.slice(eq + 1))];
  });
  const canonQuery = pairs.map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`).join('&');
  const canonHeaders = signed.map(h => {
    const v = req.headers[h];
    return `${h}:${v === undefined ? '' : String(v).trim().replace(/\s+/g, ' ')}\n`;
  }).join('');
  const canon = [req.method, qi < 0 ? req.url : req.url.slice(0, qi), canonQuery, canonHeaders, signed.join(';'),
    req.headers['x-amz-content-sha256'] || 'UNSIGNED-PAYLOAD'].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', date, scope, sha256hex(canon)].join('\n');
  const [day, region, service] = scope.split('/');
  const key = hmac(hmac(hmac(hmac('AWS4' + S3_SECRET, day), region), service), 'aws4_request');
  if (hmac(key, toSign).toString('hex') !== m[4]) {
    return [403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'];
  }
  return null;
}

async function serveS3(o) {
  const S3rver = require('s3rver');
  const dir = path.resolve(need(o, 'dir'));
  fs.mkdirSync(dir, { recursive: true });
  const s3 = new S3rver({ silent: true, directory: dir, configureBuckets: [{ name: 'cache' }] });
  await s3.configureBuckets();
  const app = s3.callback();
  const server = http.createServer((req, res) => {
    const bad = req.url.includes('X-Amz-Algorithm=') ? checkPresignedV4(req) : checkHeaderV4(req);
    if (!bad) return app(req, res);
    res.writeHead(bad[0], { 'Content-Type': 'application/xml' });
    res.end(req.method === 'HEAD' ? undefined :
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${bad[1]}</Code><Message>${bad[2]}</Message></Error>`);
  });
  logRequests(server);
  await new Promise((ok, ko) => server.listen(0, '127.0.0.1', ok).on('error', ko));
  process.stdout.write(`PORT ${server.address().port}\n`);
  keepRunning(() => new Promise(ok => server.close(ok)));
}

function s3client(o) {
  const { S3Client } = require('@aws-sdk/client-s3');
  return new S3Client({
    endpoint: need(o, 'endpoint'), region: S3_REGION, forcePathStyle: true,
    credentials: { accessKeyId: S3_KEY, secretAccessKey: S3_SECRET },
    // What the runner sets for custom endpoints (cache/s3v2/s3.go): no
    // x-amz-checksum-mode on GET, no (empty-body) CRC32 on presigned PUTs.
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function presignS3(o) {
  const c = require('@aws-sdk/client-s3');
  const { getSignedUrl } = require('@aws-sdk/s3-request-presigner');
  const Bucket = o.bucket || 'cache', Key = need(o, 'key');
  const method = need(o, 'method').toUpperCase();
  let cmd;
  if (method === 'GET') cmd = new c.GetObjectCommand({ Bucket, Key });
  else if (method === 'HEAD') cmd = new c.HeadObjectCommand({ Bucket, Key });
  else if (method === 'PUT') cmd = new c.PutObjectCommand({ Bucket, Key, Metadata: o.meta });
  else die(`unknown --method ${method}`);
  // Go's SDK (the runner's) keeps x-amz-meta-* as signed headers instead of
  // hoisting them into the query as the JS SDK would.
  const metaHeaders = Object.keys(o.meta).map(k => `x-amz-meta-${k.toLowerCase()}`);
  const url = await getSignedUrl(s3client(o), cmd, {
    expiresIn: Number(o.expires || 3600), unhoistableHeaders: new Set(metaHeaders),
  });
  const u = new URL(url);
  const lines = [url];
  // The runner passes the signed headers (Go http.Header: canonical names, Host included).
  for (const h of u.searchParams.get('X-Amz-SignedHeaders').split(';')) {
    if (h === 'host') lines.push(`Host: ${u.host}`);
    else if (h.startsWith('x-amz-meta-')) {
      const k = Object.keys(o.meta).find(m => `x-amz-meta-${m.toLowerCase()}` === h);
      lines.push(`${goCanonical(h)}: ${o.meta[k]}`);
    } else die(`unexpected signed header ${h}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

function goCanonical(h) {
  return h.split('-').map(p => p.charAt(0).toUpperCase() + p.slice(1).toLowerCase()).join('-');
}

async function s3op(op, o) {
  const c = require('@aws-sdk/client-s3');
  const client = s3client(o);
  const Bucket = o.bucket || 'cache', Key = need(o, 'key');
  try {
    if (op === 'put') {
      await client.send(new c.PutObjectCommand({ Bucket, Key, Metadata: o.meta, Body: fs.readFileSync(need(o, 'file')) }));
    } else if (op === 'get') {
      const r = await client.send(new c.GetObjectCommand({ Bucket, Key }));
      writeOut(o, Buffer.from(await r.Body.transformToByteArray()));
    } else {
      const r = await client.send(new c.HeadObjectCommand({ Bucket, Key }));
      printHead(r.ContentLength, r.LastModified, r.ContentType, r.Metadata);
    }
  } catch (e) {
    if (e.name === 'NoSuchKey' || e.name === 'NotFound') die('not found', 3);
    throw e;
  }
}

// ---- Azure ----

async function serveAzure(o) {
  const BlobServer = require('azurite/dist/src/blob/BlobServer').default;
  const BlobConfiguration = require('azurite/dist/src/blob/BlobConfiguration').default;
  const dir = path.resolve(need(o, 'dir'));
  fs.mkdirSync(dir, { recursive: true });
  const conf = new BlobConfiguration('127.0.0.1', 0, 5,
    path.join(dir, '__azurite_db_blob__.json'), path.join(dir, '__azurite_db_blob_extent__.json'),
    [{ locationId: 'Default', locationPath: path.join(dir, '__blobstorage__'), maxConcurrency: 10 }],
    false, undefined, false, undefined, false, true);
  const server = new BlobServer(conf);
  logRequests(server.httpServer);
  await server.start();
  const port = server.httpServer.address().port;
  await azService({ endpoint: `http://127.0.0.1:${port}` }).getContainerClient('cache').createIfNotExists();
  process.stdout.write(`PORT ${port}\n`);
  keepRunning(() => server.close());
}

function azEndpoint(o) {
  const u = new URL(need(o, 'endpoint'));
  if (u.pathname === '/' || u.pathname === '') u.pathname = `/${AZ_ACCOUNT}`;
  return u.toString().replace(/\/$/, '');
}

function azService(o) {
  const { BlobServiceClient, StorageSharedKeyCredential } = require('@azure/storage-blob');
  return new BlobServiceClient(azEndpoint(o), new StorageSharedKeyCredential(AZ_ACCOUNT, AZ_KEY));
}

function presignAzure(o) {
  const { generateBlobSASQueryParameters, BlobSASPermissions, StorageSharedKeyCredential, SASProtocol } =
    require('@azure/storage-blob');
  const containerName = o.container || 'cache', blobName = need(o, 'blob');
  const method = need(o, 'method').toUpperCase();
  if (!['GET', 'HEAD', 'PUT'].includes(method)) die(`unknown --method ${method}`);
  // As the runner signed them: a service SAS, read for GET/HEAD, write for PUT.
  const now = Date.now();
  const sas = generateBlobSASQueryParameters({
    containerName, blobName,
    permissions: BlobSASPermissions.parse(method === 'PUT' ? 'w' : 'r'),
    startsOn: new Date(now - 5 * 60 * 1000), expiresOn: new Date(now + 1000 * Number(o.expires || 3600)),
    protocol: SASProtocol.HttpsAndHttp,
  }, new StorageSharedKeyCredential(AZ_ACCOUNT, AZ_KEY)).toString();
  const lines = [`${azEndpoint(o)}/${containerName}/${blobName.split('/').map(encodeURIComponent).join('/')}?${sas}`];
  if (method === 'PUT') lines.push('x-ms-blob-type: BlockBlob');
  process.stdout.write(lines.join('\n') + '\n');
}

async function azOp(op, o) {
  const blob = azService(o).getContainerClient(o.container || 'cache').getBlockBlobClient(need(o, 'blob'));
  try {
    if (op === 'put') {
      await blob.uploadData(fs.readFileSync(need(o, 'file')), { metadata: o.meta });
    } else if (op === 'get') {
      writeOut(o, await blob.downloadToBuffer());
    } else {
      const p = await blob.getProperties();
      printHead(p.contentLength, p.lastModified, p.contentType, p.metadata);
    }
  } catch (e) {
    if (e.statusCode === 404) die('not found', 3);
    throw e;
  }
}

// ---- common ----

function writeOut(o, buf) {
  if (o.file) fs.writeFileSync(o.file, buf);
  else process.stdout.write(buf);
}

function printHead(size, lastModified, contentType, metadata) {
  process.stdout.write(JSON.stringify({
    size, lastModified: lastModified && lastModified.toUTCString(), contentType, metadata: metadata || {},
  }) + '\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const [cmd, kind] = o._;
  const table = {
    s3: () => serveS3(o),
    azure: () => serveAzure(o),
    presign: () => (kind === 's3' ? presignS3(o) : kind === 'azure' ? presignAzure(o) : die('presign s3|azure')),
    put: () => (kind === 's3' ? s3op('put', o) : kind === 'azure' ? azOp('put', o) : die('put s3|azure')),
    get: () => (kind === 's3' ? s3op('get', o) : kind === 'azure' ? azOp('get', o) : die('get s3|azure')),
    head: () => (kind === 's3' ? s3op('head', o) : kind === 'azure' ? azOp('head', o) : die('head s3|azure')),
  };
  if (!table[cmd]) die('usage: objstore.js s3|azure|presign|put|get|head ... (see the header of this file)');
  await table[cmd]();
}

main().catch(e => die(e.stack || String(e), 1));
