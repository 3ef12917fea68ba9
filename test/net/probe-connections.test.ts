/**
 * The health probes' own HTTP/1.1 client against node:http (requestJson) as the oracle: a raw TCP
 * server scripts each reply byte for byte (split packets, chunked, read-until-close, odd headers),
 * and both clients must read the same status, headers and body — or both fail.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { requestJson } from '../../src/net/http-json.js';
import { ProbeConnections } from '../../src/net/probe-connections.js';

/** How the scripted server answers a request for a path: the reply's bytes, written in these pieces. */
type Script = { pieces: (string | Buffer)[]; close?: boolean; pauseMs?: number } | 'hang' | 'close-without-reply';

const scripts = new Map<string, Script>();
let connections = 0;
let requests = 0;
let server: net.Server;
let base: string;
const open = new Set<net.Socket>();

function serve(socket: net.Socket): void {
  connections++;
  open.add(socket);
  socket.on('close', () => open.delete(socket));
  socket.on('error', () => undefined);
  let pending = '';
  socket.on('data', async (d: Buffer) => {
    pending += d.toString('latin1');
    for (;;) {
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = pending.slice(0, end);
      pending = pending.slice(end + 4);
      requests++;
      const path = head.split(' ')[1]!;
      const script = scripts.get(path.split('?')[0]!) ?? { pieces: ['HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n'] };
      if (script === 'hang') return;
      if (script === 'close-without-reply') {
        socket.destroy();
        return;
      }
      for (const piece of script.pieces) {
        socket.write(piece);
        // Separate TCP packets: the client sees the reply in pieces.
        await new Promise((r) => setTimeout(r, script.pauseMs ?? 2));
      }
      if (script.close) socket.end();
    }
  });
}

before(async () => {
  server = net.createServer(serve);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

after(async () => {
  for (const s of open) s.destroy();
  await new Promise((r) => server.close(r));
});

const json = '{"healthy":true,"worker_status":"idle","name":"é✓"}';
const jsonBytes = Buffer.from(json);

const cases: Record<string, Script> = {
  '/length': { pieces: [`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${jsonBytes.length}\r\n\r\n`, jsonBytes] },
  // Status line, headers and body cut at awkward places (inside CRLFCRLF, inside a UTF-8 character).
  '/split': {
    pieces: [
      'HTTP/1.1 200 OK\r\nX-Ktrdr-Worker-Id: w-7\r\ncontent-len',
      `gth: ${jsonBytes.length}\r\n\r`,
      '\n',
      jsonBytes.subarray(0, 40),
      jsonBytes.subarray(40, 41),
      jsonBytes.subarray(41),
    ],
  },
  '/chunked': {
    pieces: [
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n',
      `${(10).toString(16)};ext=1\r\n${json.slice(0, 10)}\r\n`,
      `${Buffer.byteLength(json.slice(10)).toString(16).toUpperCase()}\r\n${json.slice(10)}`,
      '\r',
      '\n0\r\nx-trailer: t\r\n\r\n',
    ],
  },
  '/until-close': { pieces: ['HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n', 'first part, ', 'second part'], close: true },
  '/http10': { pieces: [`HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n{}`], close: true },
  '/conn-close': { pieces: [`HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}`], close: true },
  '/busy': { pieces: ['HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: 31\r\n\r\n{"detail":"busy","code":"BUSY"}'] },
  '/no-content': { pieces: ['HTTP/1.1 204 No Content\r\nx-a: 1\r\nX-A: 2\r\n\r\n'] },
  '/bad-status': { pieces: ['HTTP/2 200 OK\r\ncontent-length: 0\r\n\r\n'] },
  '/bad-length': { pieces: ['HTTP/1.1 200 OK\r\ncontent-length: abc\r\n\r\n'] },
};

test('the same replies as node:http on scripted responses: framing, split packets, headers, statuses', async () => {
  for (const [path, script] of Object.entries(cases)) scripts.set(path, script);
  const probes = new ProbeConnections();
  try {
    for (const path of Object.keys(cases)) {
      const url = `${base}${path}`;
      const [mine, oracle] = await Promise.allSettled([
        probes.get({ url, timeoutMs: 2_000 }),
        requestJson({ method: 'GET', url, timeoutMs: 2_000, connection: 'none' }),
      ]);
      assert.equal(mine.status, oracle.status, `${path}: ${mine.status === 'rejected' ? String(mine.reason) : 'read'} where node:http ${oracle.status === 'rejected' ? String(oracle.reason) : 'read'}`);
      if (mine.status === 'fulfilled' && oracle.status === 'fulfilled') {
        assert.equal(mine.value.status, oracle.value.status, `${path}: status`);
        assert.equal(mine.value.text, oracle.value.text, `${path}: body`);
        for (const h of ['content-type', 'x-ktrdr-worker-id', 'x-a', 'content-length', 'connection']) {
          assert.equal(mine.value.header(h), oracle.value.header(h), `${path}: header ${h}`);
        }
        assert.equal(mine.value.header('X-Ktrdr-Worker-Id'), oracle.value.header('X-Ktrdr-Worker-Id'), `${path}: header names are case-insensitive`);
      }
    }
  } finally {
    probes.close();
  }
});

test('one connection serves request after request; Connection: close and HTTP/1.0 replies are not reused', async () => {
  scripts.set('/length', cases['/length']!);
  scripts.set('/conn-close', cases['/conn-close']!);
  const probes = new ProbeConnections();
  try {
    const before = connections;
    for (let i = 0; i < 20; i++) assert.equal((await probes.get({ url: `${base}/length`, timeoutMs: 2_000 })).text, json);
    assert.equal(connections - before, 1, 'twenty probes, one connection');
    assert.equal(probes.idleCount, 1);
    for (let i = 0; i < 3; i++) assert.equal((await probes.get({ url: `${base}/conn-close`, timeoutMs: 2_000 })).text, '{}');
    // The first reuses the idle connection, which the server then closes: each later one needs a new one.
    assert.equal(connections - before, 1 + 2, 'a connection the server closes is not used again');
    assert.equal(probes.idleCount, 0);
  } finally {
    probes.close();
  }
  assert.equal(probes.idleCount, 0, 'close() closes the idle connections');
});

test('a connection the server closed while idle is replaced; a server that drops the request fails it', async () => {
  scripts.set('/length', cases['/length']!);
  scripts.set('/drop', 'close-without-reply');
  const probes = new ProbeConnections();
  try {
    await probes.get({ url: `${base}/length`, timeoutMs: 2_000 });
    // The server closes every idle connection (a worker restarting, an idle timeout on its side).
    for (const s of open) s.destroy();
    const before = requests;
    assert.equal((await probes.get({ url: `${base}/length`, timeoutMs: 2_000 })).text, json, 'the next probe still gets through');
    assert.equal(requests - before, 1);
    // A fresh connection the server drops without replying: an error, as with node:http, not a retry loop.
    const dropBefore = requests;
    await assert.rejects(probes.get({ url: `${base}/drop`, timeoutMs: 2_000 }));
    await assert.rejects(requestJson({ method: 'GET', url: `${base}/drop`, timeoutMs: 2_000, connection: 'none' }));
    assert.ok(requests - dropBefore <= 3, `the dropped request was sent ${requests - dropBefore - 1} times by the probe client`);
  } finally {
    probes.close();
  }
});

test('deadline, abort signal, refused connection and an oversized body fail like requestJson', async () => {
  scripts.set('/hang', 'hang');
  scripts.set('/big', { pieces: [`HTTP/1.1 200 OK\r\ncontent-length: 5000\r\n\r\n${'x'.repeat(5000)}`] });
  const probes = new ProbeConnections({ maxBodyBytes: 1000 });
  try {
    await assert.rejects(probes.get({ url: `${base}/hang`, timeoutMs: 100 }), { name: 'TimeoutError' });
    const ac = new AbortController();
    const pending = probes.get({ url: `${base}/hang`, timeoutMs: 5_000, signal: ac.signal });
    ac.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    await assert.rejects(probes.get({ url: `${base}/big`, timeoutMs: 2_000 }), /larger than 1000 bytes/);
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await assert.rejects(probes.get({ url: `http://127.0.0.1:${port}/health`, timeoutMs: 2_000 }), { code: 'ECONNREFUSED' });
    await assert.rejects(requestJson({ method: 'GET', url: `http://127.0.0.1:${port}/health`, timeoutMs: 2_000 }), { code: 'ECONNREFUSED' });
    await assert.rejects(probes.get({ url: 'https://127.0.0.1:1/health', timeoutMs: 100 }), /plain http only/);
    await assert.rejects(probes.get({ url: `${base}/length`, headers: { 'x-evil': 'a\r\nx-injected: 1' }, timeoutMs: 100 }), /line breaks/);
    // A connection is usable again after the failures above (none was parked half-read).
    scripts.set('/length', cases['/length']!);
    assert.equal((await probes.get({ url: `${base}/length`, timeoutMs: 2_000 })).text, json);
  } finally {
    probes.close();
  }
});

test('request headers go out as given (the worker sees the token)', async () => {
  let seen = '';
  const echo = net.createServer((s) => {
    s.once('data', (d: Buffer) => {
      seen = d.toString('latin1');
      s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}');
    });
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const probes = new ProbeConnections();
  try {
    const port = (echo.address() as net.AddressInfo).port;
    await probes.get({ url: `http://127.0.0.1:${port}/health?x=1`, headers: { authorization: 'Bearer t0k', accept: 'application/json' }, timeoutMs: 2_000 });
    assert.match(seen, /^GET \/health\?x=1 HTTP\/1\.1\r\n/);
    assert.match(seen, new RegExp(`\r\nhost: 127\\.0\\.0\\.1:${port}\r\n`));
    assert.match(seen, /\r\nauthorization: Bearer t0k\r\n/);
  } finally {
    probes.close();
    await new Promise((r) => echo.close(r));
  }
});
