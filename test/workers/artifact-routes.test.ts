import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { registerServerKit } from '../../src/server-kit/server-kit.js';
import { BUNDLE_ARCHIVE_CONTENT_TYPE, bundleSha256, packBundle, unpackBundle } from '../../src/domain/model/bundle-archive.js';
import { modelStoreRoutes } from '../../src/workers/artifacts/model-store-routes.js';
import { FsModelStore } from '../../src/workers/artifacts/model-store.js';
import { dataRoutes } from '../../src/workers/artifacts/data-routes.js';
import { WorkerArtifacts } from '../../src/workers/artifacts/worker-artifacts.js';
import { bundleFiles as bundle } from '../helpers/model-bundle.js';

const TOKEN = 'artifact-routes-token';

async function backend(t: TestContext, maxBundleBytes?: number): Promise<{ url: string; modelsDir: string; dataDir: string; app: FastifyInstance }> {
  const root = await mkdtemp(join(tmpdir(), 'ktrdr-store-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const modelsDir = join(root, 'models');
  const dataDir = join(root, 'data');
  const app = Fastify({ loggerInstance: pino({ level: 'silent' }) });
  registerServerKit(app as unknown as FastifyInstance, { apiToken: TOKEN });
  await app.register(modelStoreRoutes, { prefix: '/api/v1', store: new FsModelStore(modelsDir), ...(maxBundleBytes ? { maxBundleBytes } : {}) });
  await app.register(dataRoutes, { prefix: '/api/v1', dataDir });
  t.after(() => app.close());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, modelsDir, dataDir, app: app as unknown as FastifyInstance };
}

const auth = { authorization: `Bearer ${TOKEN}` };
const upload = (url: string, path: string, body: Buffer, method = 'POST', headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, { method, headers: { ...auth, 'content-type': BUNDLE_ARCHIVE_CONTENT_TYPE, ...headers }, body });

test('every model and data route needs the token', async (t) => {
  const { url } = await backend(t);
  for (const [method, path] of [
    ['GET', '/api/v1/models'],
    ['GET', '/api/v1/models/rsi_mlp/1h_v1'],
    ['POST', '/api/v1/models/rsi_mlp/1h'],
    ['PUT', '/api/v1/models/rsi_mlp/1h_v1'],
    ['GET', '/api/v1/data/EURUSD/1h'],
  ] as const) {
    const res = await fetch(`${url}${path}`, { method, ...(method === 'GET' ? {} : { body: packBundle(bundle()), headers: { 'content-type': BUNDLE_ARCHIVE_CONTENT_TYPE } }) });
    assert.equal(res.status, 401, `${method} ${path}`);
  }
});

test('upload (backend numbers it) → list → download gives the same bundle and identity', async (t) => {
  const { url } = await backend(t);
  const first = await upload(url, '/api/v1/models/rsi_mlp/1h', packBundle(bundle(1)));
  assert.equal(first.status, 200);
  const a = (await first.json()) as { model_path: string; model_sha256: string; version: number; created: boolean };
  assert.equal(a.model_path, 'rsi_mlp/1h_v1');
  const second = (await (await upload(url, '/api/v1/models/rsi_mlp/1h', packBundle(bundle(2)))).json()) as typeof a;
  assert.equal(second.model_path, 'rsi_mlp/1h_v2');
  const list = (await (await fetch(`${url}/api/v1/models`, { headers: auth })).json()) as { data: { model_path: string; is_latest: boolean }[] };
  assert.deepEqual(list.data.map((m) => [m.model_path, m.is_latest]), [['rsi_mlp/1h_v1', false], ['rsi_mlp/1h_v2', true]]);
  const got = await fetch(`${url}/api/v1/models/rsi_mlp/1h_v1`, { headers: auth });
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('x-ktrdr-sha256'), a.model_sha256);
  const { files } = unpackBundle(Buffer.from(await got.arrayBuffer()), a.model_sha256);
  assert.equal(JSON.parse(files.get('metadata.json')!.toString()).version, 1);
  const latest = await fetch(`${url}/api/v1/models/rsi_mlp/1h_latest`, { headers: auth });
  assert.equal(latest.headers.get('x-ktrdr-model-path'), 'rsi_mlp/1h_v2');
  assert.equal(latest.headers.get('x-ktrdr-sha256'), second.model_sha256);
});

test('names are checked (no traversal), unknown models are 404, bad or mismatching bundles 400, other content 409', async (t) => {
  const { url } = await backend(t, 4096);
  for (const path of ['/api/v1/models/..%2F..%2Fetc/1h_v1', '/api/v1/models/rsi_mlp/..', '/api/v1/models/.hidden/1h_v1', '/api/v1/models/rsi_mlp/1h_v1%2F..']) {
    const res = await fetch(`${url}${path}`, { headers: auth });
    // 400 (a name the patterns refuse) or 404 (fetch normalised `..` away): never a file.
    assert.ok(res.status === 400 || res.status === 404, `${path}: ${res.status}`);
  }
  const traversal = await fetch(`${url}/api/v1/data/..%2Fmodels/1h`, { headers: auth });
  assert.equal(traversal.status, 400);
  const missing = await fetch(`${url}/api/v1/models/rsi_mlp/1h_v9`, { headers: auth });
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { code: string }).code, 'ARTIFACT_NOT_FOUND');
  const notArchive = await upload(url, '/api/v1/models/rsi_mlp/1h', Buffer.from('hello'));
  assert.equal(notArchive.status, 400);
  assert.match(((await notArchive.json()) as { detail: string }).detail, /body: invalid model bundle archive/);
  const wrongHash = await upload(url, '/api/v1/models/rsi_mlp/1h', packBundle(bundle()), 'POST', { 'x-ktrdr-sha256': '0'.repeat(64) });
  assert.equal(wrongHash.status, 400);
  assert.match(((await wrongHash.json()) as { detail: string }).detail, /hash mismatch/);
  const otherStrategy = await upload(url, '/api/v1/models/other/1h', packBundle(bundle()));
  assert.equal(otherStrategy.status, 400);
  const tooBig = await upload(url, '/api/v1/models/rsi_mlp/1h', Buffer.alloc(5000));
  assert.equal(tooBig.status, 413);
  // PUT at an exact version: idempotent for the same bytes, 409 for others.
  const v1 = bundle(1);
  const put = await upload(url, '/api/v1/models/rsi_mlp/1h_v1', packBundle(v1), 'PUT');
  assert.equal(put.status, 200);
  assert.deepEqual(await put.json(), { success: true, model_path: 'rsi_mlp/1h_v1', model_sha256: bundleSha256(v1), version: 1, created: true });
  const again = (await (await upload(url, '/api/v1/models/rsi_mlp/1h_v1', packBundle(v1), 'PUT')).json()) as { created: boolean };
  assert.equal(again.created, false);
  const other = await upload(url, '/api/v1/models/rsi_mlp/1h_v1', packBundle(bundle(3)), 'PUT');
  assert.equal(other.status, 409);
  assert.equal(((await other.json()) as { code: string }).code, 'ARTIFACT_CONFLICT');
  const wrongVersion = await upload(url, '/api/v1/models/rsi_mlp/1h_v2', packBundle(v1), 'PUT');
  assert.equal(wrongVersion.status, 400);
});

test('data files are served as bytes with their hash; a changed file is a 409 when the hash is given', async (t) => {
  const { url, dataDir } = await backend(t);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dataDir);
  const csv = 'timestamp,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,2,0.5,1.5,10\n';
  await writeFile(join(dataDir, 'EURUSD_1h.csv'), csv);
  const sha = createHash('sha256').update(csv).digest('hex');
  const res = await fetch(`${url}/api/v1/data/EURUSD/1h?sha256=${sha}`, { headers: auth });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-ktrdr-sha256'), sha);
  assert.equal(await res.text(), csv);
  assert.equal((await fetch(`${url}/api/v1/data/EURUSD/1h?sha256=${'1'.repeat(64)}`, { headers: auth })).status, 409);
  assert.equal((await fetch(`${url}/api/v1/data/GBPUSD/1h`, { headers: auth })).status, 404);
  // A symlink in the data dir that leads out of it is not served.
  const { symlink } = await import('node:fs/promises');
  await writeFile(join(dataDir, '..', 'secret.csv'), 'secret');
  await symlink(join(dataDir, '..', 'secret.csv'), join(dataDir, 'EURUSD_4h.csv'));
  const leaked = await fetch(`${url}/api/v1/data/EURUSD/4h`, { headers: auth });
  assert.equal(leaked.status, 404);
  assert.doesNotMatch(await leaked.text(), /secret"?$/);
});

test('a worker fetches a missing or different model and CSV, verifies and installs them; two at once are safe', async (t) => {
  const { url, dataDir } = await backend(t);
  const uploaded = (await (await upload(url, '/api/v1/models/rsi_mlp/1h', packBundle(bundle(1)))).json()) as { model_path: string; model_sha256: string };
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dataDir);
  const csv = 'timestamp,open,high,low,close,volume\n';
  await writeFile(join(dataDir, 'EURUSD_1h.csv'), csv);
  const csvSha = createHash('sha256').update(csv).digest('hex');
  const root = await mkdtemp(join(tmpdir(), 'ktrdr-worker-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const settings = { dataDir: join(root, 'data'), modelsDir: join(root, 'models'), apiUrl: url, apiToken: TOKEN };
  const w1 = new WorkerArtifacts(settings);
  const w2 = new WorkerArtifacts(settings);
  assert.deepEqual(
    (await Promise.all([w1.ensureModel(uploaded.model_path, uploaded.model_sha256), w2.ensureModel(uploaded.model_path, uploaded.model_sha256)])).length,
    2,
  );
  assert.equal(await w1.ensureModel(uploaded.model_path, uploaded.model_sha256), false); // present now
  await Promise.all([w1.ensureData('EURUSD', '1h', csvSha), w2.ensureData('EURUSD', '1h', csvSha)]);
  assert.equal(await readFile(join(root, 'data', 'EURUSD_1h.csv'), 'utf8'), csv);
  // A local file with other bytes is replaced by the backend's.
  await writeFile(join(root, 'data', 'EURUSD_1h.csv'), 'stale');
  assert.equal(await w1.ensureData('EURUSD', '1h', csvSha), true);
  assert.equal(await readFile(join(root, 'data', 'EURUSD_1h.csv'), 'utf8'), csv);
  // The backend's bytes must hash to what the request pinned.
  await assert.rejects(w1.ensureModel(uploaded.model_path, '2'.repeat(64)), /model_path: model rsi_mlp\/1h_v1 from the backend: .*hash mismatch/);
  await assert.rejects(w1.ensureModel('rsi_mlp/1h_v7', '2'.repeat(64)), /model_path: fetching model rsi_mlp\/1h_v7 from the backend: Model 'rsi_mlp\/1h_v7' not found/);
  await assert.rejects(w1.ensureData('EURUSD', '1h', '3'.repeat(64)), /symbol: fetching EURUSD_1h.csv from the backend: .*changed/);
  // A wrong token is not the request's fault.
  await assert.rejects(new WorkerArtifacts({ ...settings, apiToken: 'nope' }).ensureModel('rsi_mlp/1h_v5', '2'.repeat(64)), /Missing or invalid bearer token/);
});

test('publishing a trained bundle: the backend numbers it and the worker keeps the same bytes; without a backend it stays local and says why', async (t) => {
  const { url, modelsDir: backendModels } = await backend(t);
  const root = await mkdtemp(join(tmpdir(), 'ktrdr-publish-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const { mkdir } = await import('node:fs/promises');
  const staged = join(root, 'staging', 'rsi_mlp', '1h_v1');
  await mkdir(staged, { recursive: true });
  for (const [name, bytes] of bundle(7)) await writeFile(join(staged, name), bytes);
  const { bundleDirSha256 } = await import('../../src/domain/model/bundle-archive.js');
  // The backend already has two versions: this upload becomes v3 on both sides.
  for (const run of [1, 2]) await upload(url, '/api/v1/models/rsi_mlp/1h', packBundle(bundle(run)));
  const worker = new WorkerArtifacts({ dataDir: join(root, 'data'), modelsDir: join(root, 'models'), apiUrl: url, apiToken: TOKEN });
  const published = await worker.publishModel(staged, 'rsi_mlp', '1h');
  assert.equal(published.ref, 'rsi_mlp/1h_v3');
  assert.equal(published.uploadError, undefined);
  assert.equal(await bundleDirSha256(join(backendModels, 'rsi_mlp', '1h_v3')), published.sha256);
  assert.equal(await bundleDirSha256(join(root, 'models', 'rsi_mlp', '1h_v3')), published.sha256);
  // A local copy with other bytes under a name the backend uses is replaced by the backend's on fetch.
  const stale = join(root, 'models', 'rsi_mlp', '1h_v1');
  await mkdir(stale, { recursive: true });
  await writeFile(join(stale, 'weights.bin'), 'other');
  const v1 = (await (await fetch(`${url}/api/v1/models/rsi_mlp/1h_v1`, { headers: auth })).headers.get('x-ktrdr-sha256'))!;
  assert.equal(await worker.ensureModel('rsi_mlp/1h_v1', v1), true);
  assert.equal(await bundleDirSha256(stale), v1);

  const offline = new WorkerArtifacts(
    { dataDir: join(root, 'data'), modelsDir: join(root, 'offline-models'), apiUrl: 'http://127.0.0.1:9', apiToken: TOKEN },
    { uploadBudgetMs: 300, initialBackoffMs: 50, requestTimeoutMs: 1_000 },
  );
  const local = await offline.publishModel(staged, 'rsi_mlp', '1h');
  assert.equal(local.ref, 'rsi_mlp/1h_v1');
  assert.match(local.uploadError ?? '', /fetch failed|ECONNREFUSED/);
  assert.equal(await bundleDirSha256(join(root, 'offline-models', 'rsi_mlp', '1h_v1')), local.sha256);
});
