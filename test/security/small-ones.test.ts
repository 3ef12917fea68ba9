/**
 * Issue 8 point 13: offset=1e20 was a 500; 431, 414, an undecodable URL and the worker's default
 * 404 answered without `{detail}`; `--token` shows in `ps` (now a warning, with --token-file as
 * the quiet way). The dashboard's `?token=` is covered in test/e2e/dashboard.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run-cli.js';
import { FakeBackend } from '../cli/helpers/fake-backend.js';
import { fakeIo } from '../cli/helpers/fake-io.js';
import { tempDir } from '../helpers/cluster.js';
import { createSandbox, startServers } from './helpers.js';

/** GET with a raw (not re-encoded) path and arbitrary headers. */
function rawGet(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: { detail?: unknown; code?: unknown } }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers, method: 'GET' }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { detail?: unknown; code?: unknown } }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('huge numbers in query strings are 400, not 500', async (t) => {
  const sandbox = createSandbox();
  t.after(() => sandbox.remove());
  const { backendUrl, workerUrl } = await startServers(t, { sandbox });
  for (const q of ['offset=1e20', 'offset=99999999999999999999', 'limit=1e20', 'offset=-1', 'offset=abc', 'offset=Infinity', 'limit=1e400']) {
    const r = await rawGet(backendUrl, `/api/v1/operations?${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.body.code, 'VALIDATION_FAILED', q);
    assert.match(String(r.body.detail), /offset|limit/, q);
  }
  assert.equal((await rawGet(workerUrl, '/api/v1/operations/x/metrics?cursor=1e20')).status, 404);
});

test('431, 414, an undecodable URL and 404s answer {detail, code} on backend and worker', async (t) => {
  const sandbox = createSandbox();
  t.after(() => sandbox.remove());
  const { backendUrl, workerUrl } = await startServers(t, { sandbox });
  for (const base of [backendUrl, workerUrl]) {
    const cases: [string, Record<string, string>, number][] = [
      ['/health', { 'x-big': 'x'.repeat(70_000) }, 431],
      [`/api/v1/operations/${'x'.repeat(300)}`, {}, 414],
      ['/%', {}, 400],
      ['/api/v1/operations/%E0%A4%A', {}, 400],
      ['/no/such/route', {}, 404],
    ];
    for (const [path, headers, status] of cases) {
      const r = await rawGet(base, path, headers);
      assert.equal(r.status, status, `${base}${path.slice(0, 40)}`);
      assert.equal(typeof r.body.detail, 'string', `${base}${path.slice(0, 40)}: ${JSON.stringify(r.body)}`);
      assert.equal(typeof r.body.code, 'string', `${base}${path.slice(0, 40)}`);
    }
  }
});

test('--token still works but warns that it shows in ps; --token-file and KTRDR_API_TOKEN do not', async (t) => {
  const b = new FakeBackend();
  await b.start();
  t.after(() => b.close());
  b.token = 's3cret';
  const dir = tempDir();
  t.after(() => dir.remove());
  const file = join(dir.path, 'token');
  writeFileSync(file, 's3cret\n');

  const viaFlag = fakeIo({ env: { KTRDR_API_URL: b.url } });
  assert.equal(await runCli(['--token', 's3cret', 'ops'], viaFlag), 0, viaFlag.stderr.text);
  assert.match(viaFlag.stderr.text, /--token is visible to other users in `ps`/);

  const viaFile = fakeIo({ env: { KTRDR_API_URL: b.url } });
  assert.equal(await runCli(['--token-file', file, 'ops'], viaFile), 0, viaFile.stderr.text);
  assert.equal(viaFile.stderr.text, '');
  assert.equal(b.requests.at(-1)?.headers.authorization, 'Bearer s3cret');

  const viaEnvFile = fakeIo({ env: { KTRDR_API_URL: b.url, KTRDR_API_TOKEN_FILE: file } });
  assert.equal(await runCli(['ops'], viaEnvFile), 0, viaEnvFile.stderr.text);

  const missing = fakeIo({ env: { KTRDR_API_URL: b.url } });
  assert.equal(await runCli(['--token-file', join(dir.path, 'nope'), 'ops'], missing), 2);
  assert.match(missing.stderr.text, /--token-file/);
});
