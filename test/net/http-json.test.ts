import assert from 'node:assert/strict';
import { createServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { parseBody, requestJson } from '../../src/net/http-json.js';

let server: Server;
let base: string;
const sockets = new Set<Socket>();
const connections: Socket[] = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/echo') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.setHeader('X-Ktrdr-Worker-Id', 'w-1');
      res.end(JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString(), auth: req.headers['authorization'] ?? null }));
    });
    return;
  }
  if (url.pathname === '/status') {
    res.statusCode = Number(url.searchParams.get('code'));
    res.end('{"detail":"nope","code":"X"}');
    return;
  }
  if (url.pathname === '/big') {
    res.end('x'.repeat(10_000));
    return;
  }
  if (url.pathname === '/hang') return; // never answers
  res.statusCode = 404;
  res.end();
}

before(async () => {
  server = createServer(handle);
  server.on('connection', (s) => {
    sockets.add(s);
    connections.push(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

test('a JSON exchange: status, body, case-insensitive headers, request headers and body sent', async () => {
  const res = await requestJson({ method: 'POST', url: `${base}/echo`, headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: '{"a":1}', timeoutMs: 2000 });
  assert.equal(res.status, 200);
  assert.deepEqual(parseBody(res.text), { method: 'POST', body: '{"a":1}', auth: 'Bearer t' });
  assert.equal(res.header('x-ktrdr-worker-id'), 'w-1');
  assert.equal(res.header('X-KTRDR-WORKER-ID'), 'w-1');
  assert.equal(res.header('x-missing'), null);
});

test('connections are kept alive and reused between requests', async () => {
  const before = connections.length;
  for (let i = 0; i < 5; i++) assert.equal((await requestJson({ method: 'GET', url: `${base}/echo`, timeoutMs: 2000 })).status, 200);
  assert.ok(connections.length - before <= 1, `5 sequential requests opened ${connections.length - before} connections`);
  const beforeLong = connections.length;
  for (let i = 0; i < 3; i++) assert.equal((await requestJson({ method: 'GET', url: `${base}/echo`, timeoutMs: 2000, connection: 'long' })).status, 200);
  assert.ok(connections.length - beforeLong <= 1, `3 sequential long-lived requests opened ${connections.length - beforeLong} connections`);
});

test("connection: 'none' opens a connection per request and leaves none idle", async () => {
  const before = connections.length;
  for (let i = 0; i < 3; i++) assert.equal((await requestJson({ method: 'GET', url: `${base}/echo`, timeoutMs: 2000, connection: 'none' })).status, 200);
  assert.equal(connections.length - before, 3);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(connections.slice(before).every((s) => s.destroyed), 'every one-shot connection is closed');
});

test('non-2xx replies resolve with their status and body (the caller decides)', async () => {
  const res = await requestJson({ method: 'GET', url: `${base}/status?code=409`, timeoutMs: 2000 });
  assert.equal(res.status, 409);
  assert.deepEqual(parseBody(res.text), { detail: 'nope', code: 'X' });
});

test('the deadline rejects with a TimeoutError naming the URL', async () => {
  await assert.rejects(requestJson({ method: 'GET', url: `${base}/hang`, timeoutMs: 50 }), (err: Error) => {
    assert.equal(err.name, 'TimeoutError');
    assert.match(err.message, /\/hang: no answer within 50 ms/);
    return true;
  });
});

test('an abort signal rejects with an AbortError, also when already aborted', async () => {
  const ac = new AbortController();
  const p = requestJson({ method: 'GET', url: `${base}/hang`, timeoutMs: 5000, signal: ac.signal });
  setImmediate(() => ac.abort());
  await assert.rejects(p, { name: 'AbortError' });
  await assert.rejects(requestJson({ method: 'GET', url: `${base}/echo`, timeoutMs: 5000, signal: AbortSignal.abort() }), { name: 'AbortError' });
});

test('a refused connection rejects with Node\'s error code', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  await assert.rejects(requestJson({ method: 'GET', url: `http://127.0.0.1:${port}/`, timeoutMs: 2000 }), { code: 'ECONNREFUSED' });
});

test('a reply over the size limit is refused; other schemes are refused up front', async () => {
  await assert.rejects(requestJson({ method: 'GET', url: `${base}/big`, timeoutMs: 2000, maxBodyBytes: 1000 }), /larger than 1000 bytes/);
  await assert.rejects(requestJson({ method: 'GET', url: 'ftp://127.0.0.1/x', timeoutMs: 2000 }), /only http and https/);
});

test('parseBody: JSON, plain text, empty', () => {
  assert.deepEqual(parseBody('{"x":[1]}'), { x: [1] });
  assert.equal(parseBody('not json'), 'not json');
  assert.equal(parseBody(''), undefined);
});
