import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { bundleSha256, packBundle, unpackBundle, BUNDLE_ARCHIVE_CONTENT_TYPE } from '../../src/domain/model/bundle-archive.js';
import { withBundleVersion } from '../../src/domain/model/bundle-install.js';
import { ModelBundleError } from '../../src/domain/model/model-bundle-error.js';
import { registerServerKit } from '../../src/server-kit/server-kit.js';
import { modelStoreRoutes } from '../../src/workers/artifacts/model-store-routes.js';
import { S3ModelStore } from '../../src/workers/artifacts/s3-model-store.js';
import { startMiniS3 } from '../helpers/mini-s3.js';
import { bundleFiles as bundle } from '../helpers/model-bundle.js';

async function s3Store(t: TestContext) {
  const s3 = await startMiniS3('models');
  const store = new S3ModelStore({ url: 's3://models/ktrdr', endpoint: s3.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  t.after(async () => {
    store.close();
    await s3.close();
  });
  return { s3, store };
}

test('S3 store: publish numbers versions with conditional writes, _latest follows, read/identify/list agree', async (t) => {
  const { s3, store } = await s3Store(t);
  const published = await Promise.all([1, 2, 3].map((run) => store.publish('rsi_mlp', '1h', bundle(run))));
  assert.deepEqual(published.map((p) => p.version).sort(), [1, 2, 3]);
  assert.ok(s3.objects.has('ktrdr/rsi_mlp/1h_v1.bundle'));
  assert.equal(JSON.parse(s3.objects.get('ktrdr/rsi_mlp/1h_latest.json')!.body.toString()).version, 3);
  for (const p of published) {
    const got = await store.read('rsi_mlp', `1h_v${p.version}`);
    assert.equal(bundleSha256(got!.files), p.sha256);
    assert.equal(JSON.parse(got!.files.get('metadata.json')!.toString()).version, p.version);
    assert.equal(await store.identify(p.ref), p.sha256);
  }
  assert.equal((await store.read('rsi_mlp', '1h_latest'))!.ref, 'rsi_mlp/1h_v3');
  assert.equal(await store.latestRef('rsi_mlp', '1h'), 'rsi_mlp/1h_v3');
  assert.equal(await store.read('rsi_mlp', '1h_v9'), undefined);
  assert.equal(await store.identify('rsi_mlp/1h_v9'), undefined);
  assert.deepEqual((await store.list()).map((m) => [m.model_path, m.is_latest]), [['rsi_mlp/1h_v1', false], ['rsi_mlp/1h_v2', false], ['rsi_mlp/1h_v3', true]]);
  // A fresh store (another backend) reads identities from the object metadata.
  const other = new S3ModelStore({ url: 's3://models/ktrdr', endpoint: s3.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  t.after(() => other.close());
  assert.equal(await other.identify('rsi_mlp/1h_v2'), published.find((p) => p.version === 2)!.sha256);
});

test('S3 store: put is idempotent for identical content and refuses other content', async (t) => {
  const { store } = await s3Store(t);
  const files = withBundleVersion(bundle(5), 4);
  const sha = bundleSha256(files);
  assert.equal((await store.put('rsi_mlp/1h_v4', files, sha)).written, true);
  assert.equal((await store.put('rsi_mlp/1h_v4', files, sha)).written, false);
  const other = withBundleVersion(bundle(6), 4);
  await assert.rejects(store.put('rsi_mlp/1h_v4', other, bundleSha256(other)), (e: unknown) => e instanceof ModelBundleError && e.code === 'MODEL_BUNDLE_CONFLICT');
  assert.equal(await store.latestRef('rsi_mlp', '1h'), 'rsi_mlp/1h_v4');
});

test('the model routes work the same on an S3 store (upload, list, download with identity)', async (t) => {
  const { store } = await s3Store(t);
  const app = Fastify({ loggerInstance: pino({ level: 'silent' }) });
  registerServerKit(app as unknown as FastifyInstance, { apiToken: 'tok' });
  await app.register(modelStoreRoutes, { prefix: '/api/v1', store });
  t.after(() => app.close());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const headers = { authorization: 'Bearer tok' };
  const up = await fetch(`${url}/api/v1/models/rsi_mlp/1h`, { method: 'POST', headers: { ...headers, 'content-type': BUNDLE_ARCHIVE_CONTENT_TYPE }, body: packBundle(bundle()) });
  assert.equal(up.status, 200);
  const stored = (await up.json()) as { model_path: string; model_sha256: string };
  assert.equal(stored.model_path, 'rsi_mlp/1h_v1');
  const got = await fetch(`${url}/api/v1/models/rsi_mlp/1h_v1`, { headers });
  assert.equal(got.headers.get('x-ktrdr-sha256'), stored.model_sha256);
  unpackBundle(Buffer.from(await got.arrayBuffer()), stored.model_sha256);
  assert.equal((await fetch(`${url}/api/v1/models/rsi_mlp/1h_v2`, { headers })).status, 404);
  const list = (await (await fetch(`${url}/api/v1/models`, { headers })).json()) as { data: { model_path: string }[] };
  assert.deepEqual(list.data.map((m) => m.model_path), ['rsi_mlp/1h_v1']);
});

test('with an S3 store, the backtest route resolves the model there and pins its identity', async (t) => {
  const { store } = await s3Store(t);
  const { join } = await import('node:path');
  const { repoRoot } = await import('../helpers/paths.js');
  const { backtestStartRoute } = await import('../../src/workers/backtest/backtest-start-route.js');
  const { InvalidRequestError } = await import('../../src/contracts/errors.js');
  const files = new Map(bundle());
  files.set('metadata.json', Buffer.from(JSON.stringify({ strategy_name: 'rsi_macd_1h', timeframe: '1h', version: 1 })));
  const p = await store.publish('rsi_macd_1h', '1h', files);
  const route = backtestStartRoute({ dataDir: join(repoRoot, 'data'), strategiesDir: join(repoRoot, 'strategies'), modelsDir: join(repoRoot, 'no-models'), modelStore: store });
  const body = { strategy_name: 'rsi_macd_1h', start_date: '2024-01-01', end_date: '2024-03-31', initial_capital: 100_000 };
  for (const extra of [{}, { model_path: 'rsi_macd_1h/1h_v1' }]) {
    const payload = (await route.prepare({ ...body, ...extra } as never)).payload as Record<string, unknown>;
    assert.equal(payload['model_path'], p.ref);
    assert.equal(payload['model_sha256'], p.sha256);
  }
  await assert.rejects(async () => route.prepare({ ...body, model_path: 'rsi_macd_1h/1h_v8' } as never), (e: unknown) => e instanceof InvalidRequestError && /^model_path: model 'rsi_macd_1h\/1h_v8' not found/.test(e.message));
});
