/**
 * Fuzz over every route of the backend (from its /docs/json) and of a backtest worker (from the
 * worker kit's route table): malformed JSON, wrong types, nulls, non-finite numbers, huge and deep
 * bodies, odd URLs and encodings, odd methods, path traversal strings, missing/wrong tokens.
 * Real processes (the built CLI) on 127.0.0.1 with a token. Expectations: no reply >= 500, both
 * processes still answer /health, every 4xx carries `{detail, code}`, no reply contains the
 * content of a canary file outside data/models/strategies, and no canary was read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { WORKER_JOBS } from '../../src/bin/worker.js';
import { createWorker } from '../../src/worker-kit/create-worker.js';
import { CLI, freePort, spawnNode, waitFor, waitForWorkers, type Proc } from '../helpers/cluster.js';
import { atimeIsRecorded, canariesRead, createSandbox } from './helpers.js';

const TOKEN = `fuzz-token-${process.pid}`;

interface Route {
  method: string;
  path: string;
  body?: JsonSchema;
  query?: Record<string, JsonSchema>;
}
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
}
interface Reply {
  status: number;
  text: string;
  label: string;
  method: string;
}

/** The worker's routes, read from the route table of a worker built from the real jobs. */
async function workerRoutes(): Promise<Route[]> {
  const w = createWorker({ log: pino({ level: 'silent' }) }, {
    workerId: 'fuzz-routes',
    workerType: 'backtesting',
    service: 'backtest-worker',
    jobs: WORKER_JOBS['backtesting']!.jobs,
    apiUrl: 'http://127.0.0.1:9',
  });
  await w.app.ready();
  const tree = w.app.printRoutes({ commonPrefix: false });
  await w.close();
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([\s│]*)[├└]── (\S+) \(([^)]+)\)/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const full = (depth === 0 ? '' : stack[depth - 1]!) + m[2]!;
    stack[depth] = full;
    for (const method of m[3]!.split(', ')) if (method !== 'HEAD') routes.push({ method, path: full });
  }
  const start = routes.find((r) => r.path === '/backtests/start');
  if (start) start.body = JSON.parse(JSON.stringify(WORKER_JOBS['backtesting']!.jobs[0]!.params)) as JsonSchema;
  return routes;
}

/** The backend's routes with their body and query schemas, from its OpenAPI document. */
async function backendRoutes(base: string): Promise<Route[]> {
  const res = await fetch(`${base}/docs/json`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  const doc = (await res.json()) as { paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema: JsonSchema }> }; parameters?: { in: string; name: string; schema: JsonSchema }[] }>> };
  const routes: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const query: Record<string, JsonSchema> = {};
      for (const p of op.parameters ?? []) if (p.in === 'query') query[p.name] = p.schema;
      routes.push({
        method: method.toUpperCase(),
        path: path.replace(/\{(\w+)\}/g, ':$1'),
        body: op.requestBody?.content?.['application/json']?.schema,
        query,
      });
    }
  }
  return routes;
}

function deep(n: number): string {
  return '{"a":'.repeat(n) + '1' + '}'.repeat(n);
}

const TRAVERSAL = ['/etc/passwd', '../../../../etc/passwd', '../canary', '../canary.yaml', '..', '.', '%2e%2e%2fcanary', 'strategies/../../canary', 'C:\\Windows\\win.ini', 'a\u0000b', '../models-canary/rsi_macd_1h/1h_v1'];
const BAD_VALUES: unknown[] = [null, true, false, '12', '', -1, 0, [], {}, [[[]]], 'NaN', { __proto__x: 1 }, 'x'.repeat(100_000)];
const PARAM_VALUES = ['..%2F..%2Fetc%2Fpasswd', '%2e%2e', '%00', 'x'.repeat(150), 'x'.repeat(5000), '%F0%9F%99%82', '%ZZ', '..', 'op_backtesting_20240101_000000_deadbeef', '%252e%252e%252f'];

/** Invalid bodies for a route: every property set to every bad value (one at a time), and whole-body oddities. */
function bodies(schema: JsonSchema | undefined, canaries: string[]): { body: string; contentType?: string; label: string }[] {
  const out: { body: string; contentType?: string; label: string }[] = [
    { body: '{', label: 'truncated JSON' },
    { body: '{"a":1,}', label: 'trailing comma' },
    { body: 'null', label: 'null body' },
    { body: '[]', label: 'array body' },
    { body: '"text"', label: 'string body' },
    { body: '1e999', label: 'infinite number' },
    { body: '{"__proto__":{"polluted":1}}', label: 'proto pollution' },
    { body: '{"constructor":{"prototype":{"polluted":1}}}', label: 'constructor pollution' },
    { body: deep(10_000), label: 'deep object' },
    { body: '['.repeat(50_000) + ']'.repeat(50_000), label: 'deep array' },
    { body: JSON.stringify({ x: 'y'.repeat(6 * 1024 * 1024) }), label: 'huge body' },
    { body: '{"a":1}', contentType: 'text/plain', label: 'text/plain' },
    { body: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded', label: 'form' },
    { body: '--x\r\n\r\n', contentType: 'multipart/form-data; boundary=x', label: 'multipart' },
    { body: '{"a":1}', contentType: 'application/json; charset=utf-7', label: 'odd charset' },
    { body: '\uFEFF{}', label: 'BOM' },
  ];
  const props = Object.keys(schema?.properties ?? {});
  for (const p of props) {
    for (const v of BAD_VALUES) out.push({ body: JSON.stringify({ [p]: v }), label: `${p}=${JSON.stringify(v).slice(0, 20)}` });
    out.push({ body: `{"${p}":1e999}`, label: `${p}=Infinity` });
    out.push({ body: `{"${p}":-1e999}`, label: `${p}=-Infinity` });
    out.push({ body: `{"${p}":${deep(5000)}}`, label: `${p}=deep` });
    for (const t of [...TRAVERSAL, ...canaries]) out.push({ body: JSON.stringify({ [p]: t }), label: `${p}=${t}` });
  }
  out.push({ body: JSON.stringify({ unknown_field: 1 }), label: 'unknown field' });
  return out;
}

test('fuzz: >= 1,000 malformed requests to every backend and worker route: no 5xx, no crash, {detail, code}, no file outside the dirs', { timeout: 120_000 }, async (t) => {
  const sandbox = createSandbox();
  const env = { ...sandbox.env, KTRDR_API_TOKEN: TOKEN, KTRDR_DB_PATH: join(sandbox.root, 'ktrdr.db'), LOG_LEVEL: 'error' };
  const bPort = await freePort();
  const wPort = await freePort();
  const procs: Proc[] = [];
  t.after(async () => {
    await Promise.all(procs.map((p) => p.crash()));
    sandbox.remove();
  });
  const backend = spawnNode('backend', [CLI, 'backend', '--port', String(bPort), '--host', '127.0.0.1'], env, bPort);
  procs.push(backend);
  await waitFor('backend', async () => (await fetch(`${backend.url}/health`)).ok || undefined, { timeoutMs: 15_000, proc: backend });
  const worker = spawnNode('worker', [CLI, 'worker', 'backtesting', '--port', String(wPort)], {
    ...env,
    KTRDR_API_URL: backend.url,
    WORKER_ID: `fuzz-worker-${process.pid}`,
    WORKER_HOST: '127.0.0.1',
    WORKER_ENDPOINT_URL: `http://127.0.0.1:${wPort}`,
  }, wPort);
  procs.push(worker);
  await waitForWorkers(backend.url, 1, { token: TOKEN });

  const targets: { base: string; routes: Route[] }[] = [
    { base: backend.url, routes: await backendRoutes(backend.url) },
    { base: worker.url, routes: await workerRoutes() },
  ];
  assert.ok(targets[0]!.routes.length >= 15, `backend routes: ${targets[0]!.routes.length}`);
  assert.ok(targets[1]!.routes.some((r) => r.path === '/backtests/start'), 'worker start route found');

  // Build the request list.
  type Req = { url: string; method: string; headers: Record<string, string>; body?: string; label: string };
  const auth = { authorization: `Bearer ${TOKEN}` };
  const reqs: Req[] = [];
  for (const { base, routes } of targets) {
    for (const r of routes) {
      const fill = (v: string) => r.path.replace(/:(\w+)/g, v);
      const path = fill('op_x');
      // No token, a wrong token, a malformed header.
      const wrongAuth: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: 'Basic Zm9vOmJhcg==' }, { authorization: `Bearer ${TOKEN}x` }];
      for (const h of wrongAuth) {
        reqs.push({ url: base + path, method: r.method, headers: h, label: `auth ${r.method} ${r.path}` });
      }
      // Path parameters.
      if (r.path.includes(':')) for (const v of PARAM_VALUES) reqs.push({ url: base + fill(v), method: r.method, headers: auth, label: `param ${r.path} ${v.slice(0, 20)}` });
      // Query strings.
      for (const [name] of Object.entries(r.query ?? {})) {
        for (const v of ['1e20', '-1', 'abc', '1e400', 'NaN', 'Infinity', '', '%00', 'true', '[]', '../etc', '99999999999999999999999']) {
          reqs.push({ url: `${base}${path}?${name}=${encodeURIComponent(v)}`, method: r.method, headers: auth, label: `query ${r.path} ${name}=${v}` });
        }
      }
      // Bodies (also sent to GET routes: a body where none is expected).
      if (r.method === 'POST' || r.method === 'DELETE' || r.body) {
        for (const b of bodies(r.body, sandbox.canaries)) {
          reqs.push({ url: base + path, method: r.method === 'GET' ? 'POST' : r.method, headers: { ...auth, 'content-type': b.contentType ?? 'application/json' }, body: b.body, label: `body ${r.method} ${r.path} ${b.label}` });
        }
      }
      // Odd methods on a real path.
      for (const m of ['PUT', 'PATCH', 'OPTIONS', 'TRACE', 'HEAD', 'PROPFIND']) reqs.push({ url: base + path, method: m, headers: auth, label: `method ${m} ${r.path}` });
    }
    // Odd URLs and encodings.
    for (const u of ['/%61pi/v1/workers', '//api/v1/workers', '/api//v1/workers', '/api/v1/workers/', '/API/V1/WORKERS', '/api/v1/workers%00', '/api/v1/%2e%2e/%2e%2e/etc/passwd',
      '/api/v1/operations/..%2f..%2f..%2fetc%2fpasswd', '/%', '/%zz', '/api/v1/operations?offset=1e20&limit=1e20', '/api/v1/operations?status[]=x', '/docs/..%2f..%2fpackage.json',
      '/docs/static/..%2f..%2f..%2fpackage.json', '/dashboard/..%2f..%2fpackage.json', '/health/../api/v1/workers', '/;/api/v1/workers', '/api/v1/workers;x', '/api/v1/workers?' + 'a=1&'.repeat(3000),
      '/' + 'a'.repeat(70_000), '/metrics', '/docs', '/docs/json', '/', '/api/v1/health', '/nope', '/\u00e9', '/%C0%AE%C0%AE/etc/passwd']) {
      for (const h of [{} as Record<string, string>, auth]) reqs.push({ url: base + u, method: 'GET', headers: h, label: `url ${u.slice(0, 40)}` });
    }
    reqs.push({ url: `${base}/health`, method: 'GET', headers: { ...auth, 'x-big': 'x'.repeat(70_000) }, label: 'huge header' });
  }

  const replies: Reply[] = [];
  const errors: string[] = [];
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 12 }, async () => {
      while (next < reqs.length) {
        const r = reqs[next++]!;
        try {
          const res = await fetch(r.url, { method: r.method, headers: r.headers, body: r.body, signal: AbortSignal.timeout(15_000) });
          replies.push({ status: res.status, text: await res.text(), label: r.label, method: r.method });
        } catch (err) {
          // Methods fetch refuses (TRACE) or bodies it cannot send are not the server's fault.
          const e = err as Error & { cause?: { code?: string } };
          if (e.name === 'TypeError' && !e.cause) continue;
          // A server may answer 413 and close before a huge body is fully sent.
          if (r.label.endsWith('huge body') && ['EPIPE', 'ECONNRESET'].includes(e.cause?.code ?? '')) continue;
          errors.push(`${r.label}: ${e.message} ${e.cause?.code ?? ''}`);
        }
      }
    }),
  );

  // Malformed HTTP that fetch cannot send: raw sockets.
  for (const base of [backend.url, worker.url]) {
    const port = Number(new URL(base).port);
    for (const raw of ['GARBAGE\r\n\r\n', 'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 'GET api/v1/workers HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /health HTTP/9.9\r\nHost: x\r\n\r\n', 'POST /api/v1/workers/register HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n',
      'GET /api/v1/workers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ' + TOKEN + '\r\nX: a\u0000b\r\n\r\n']) {
      const text = await new Promise<string>((resolve) => {
        const s = connect(port, '127.0.0.1');
        let out = '';
        s.on('data', (d) => (out += d.toString()));
        s.on('error', () => resolve(out));
        s.on('close', () => resolve(out));
        s.setTimeout(3000, () => s.destroy());
        s.write(raw);
      });
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      if (status === 0) continue; // connection closed without a reply: nothing leaked, nothing crashed
      replies.push({ status, text: text.slice(text.indexOf('\r\n\r\n') + 4), label: `raw ${JSON.stringify(raw.slice(0, 30))}`, method: 'RAW' });
    }
  }
  const elapsedMs = Date.now() - started;
  t.diagnostic(`${replies.length} replies in ${elapsedMs} ms`);

  assert.deepEqual(errors, [], 'transport errors (a server reset the connection or hung)');
  assert.ok(replies.length >= 1000, `only ${replies.length} replies`);
  const fiveHundreds = replies.filter((r) => r.status >= 500).map((r) => `${r.status} ${r.label}: ${r.text.slice(0, 200)}`);
  assert.deepEqual(fiveHundreds, [], '5xx replies');
  const noEnvelope = replies
    .filter((r) => r.status >= 400 && r.method !== 'HEAD')
    .filter((r) => {
      try {
        const b = JSON.parse(r.text) as { detail?: unknown; code?: unknown };
        return typeof b.detail !== 'string' || typeof b.code !== 'string';
      } catch {
        return true;
      }
    })
    .map((r) => `${r.status} ${r.label}: ${r.text.slice(0, 120)}`);
  assert.deepEqual(noEnvelope, [], '4xx without {detail, code}');
  const leaks = replies.filter((r) => r.text.includes(sandbox.canaryText) || r.text.includes('root:x:0:0')).map((r) => r.label);
  assert.deepEqual(leaks, [], 'replies that contain file contents from outside the dirs');
  if (atimeIsRecorded(sandbox.root)) assert.deepEqual(canariesRead(sandbox), [], 'canary files that were read');
  else t.diagnostic('this file system does not record atime: the canary read check relies on reply contents only');

  // Both processes survived and the registry still lists.
  assert.equal(backend.child.exitCode, null, backend.output().slice(-2000));
  assert.equal(worker.child.exitCode, null, worker.output().slice(-2000));
  assert.equal((await fetch(`${backend.url}/health`)).status, 200);
  assert.equal((await fetch(`${worker.url}/health`)).status, 200);
  assert.equal((await fetch(`${backend.url}/api/v1/workers`, { headers: auth })).status, 200);
  assert.doesNotMatch(backend.output() + worker.output(), /unhandled error/);
});
