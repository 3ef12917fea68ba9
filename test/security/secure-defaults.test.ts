/**
 * Issue 8 point 3: secure by default. Before the fix the backend and the workers listened on
 * 0.0.0.0 with no token. Now, without KTRDR_API_TOKEN they bind 127.0.0.1, refuse a network
 * address unless --insecure / KTRDR_INSECURE=true, and log one warning line when insecure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { ConfigError, isLoopbackHost, loadBackendConfig, loadWorkerConfig } from '../../src/config/env.js';
import { CLI, freePort, spawnNode, tempDir, waitFor } from '../helpers/cluster.js';

const W = { KTRDR_API_URL: 'http://127.0.0.1:8000' };

test('without a token the default host is 127.0.0.1; with one it is 0.0.0.0', () => {
  assert.equal(loadBackendConfig({}).host, '127.0.0.1');
  assert.equal(loadWorkerConfig('backtesting', W).host, '127.0.0.1');
  assert.equal(loadBackendConfig({ KTRDR_API_TOKEN: 'x'.repeat(32) }).host, '0.0.0.0');
  assert.equal(loadWorkerConfig('backtesting', { ...W, KTRDR_API_TOKEN: 'x'.repeat(32) }).host, '0.0.0.0');
});

test('a non-loopback host without a token is refused unless insecure', () => {
  for (const host of ['0.0.0.0', '10.1.2.3', '::', 'example.com']) {
    assert.throws(() => loadBackendConfig({ KTRDR_API_HOST: host }), (e: Error) => e instanceof ConfigError && /--insecure/.test(e.message) && /KTRDR_API_TOKEN/.test(e.message), host);
    assert.throws(() => loadBackendConfig({}, { host }), ConfigError, host);
    assert.throws(() => loadWorkerConfig('training', { ...W, WORKER_HOST: host }), ConfigError, host);
    assert.equal(loadBackendConfig({ KTRDR_API_HOST: host, KTRDR_INSECURE: 'true' }).host, host);
    assert.equal(loadBackendConfig({}, { host, insecure: true }).host, host);
    assert.equal(loadWorkerConfig('training', { ...W, WORKER_HOST: host, KTRDR_INSECURE: '1' }).host, host);
    assert.equal(loadBackendConfig({ KTRDR_API_HOST: host, KTRDR_API_TOKEN: 'secret' }).host, host);
  }
  for (const host of ['127.0.0.1', '127.0.1.1', 'localhost', '::1', '[::1]']) {
    assert.ok(isLoopbackHost(host), host);
    assert.equal(loadBackendConfig({ KTRDR_API_HOST: host }).host, host);
  }
});

test('the token can come from KTRDR_API_TOKEN_FILE; the shipped placeholder is refused', (t) => {
  const dir = tempDir();
  t.after(() => dir.remove());
  const file = join(dir.path, 'token');
  writeFileSync(file, 'from-a-file\n');
  assert.equal(loadBackendConfig({ KTRDR_API_TOKEN_FILE: file }).apiToken, 'from-a-file');
  assert.equal(loadWorkerConfig('backtesting', { ...W, KTRDR_API_TOKEN_FILE: file }).apiToken, 'from-a-file');
  assert.throws(() => loadBackendConfig({ KTRDR_API_TOKEN_FILE: join(dir.path, 'missing') }), /KTRDR_API_TOKEN_FILE/);
  assert.throws(() => loadBackendConfig({ KTRDR_API_TOKEN: 'change-me' }), /placeholder/);
});

test('ktrdr backend: refuses 0.0.0.0 without a token, runs with --insecure and says so in one warning line, binds loopback by default', { timeout: 60_000 }, async (t) => {
  const dir = tempDir();
  t.after(() => dir.remove());
  const env = { KTRDR_DB_PATH: join(dir.path, 'ktrdr.db'), LOG_LEVEL: 'info', KTRDR_API_TOKEN: '', KTRDR_API_HOST: '' };

  const refusedPort = await freePort();
  const refused = spawnNode('refused', [CLI, 'backend', '--port', String(refusedPort), '--host', '0.0.0.0'], env, refusedPort);
  const code = await new Promise<number | null>((r) => refused.child.once('exit', (c) => r(c)));
  assert.notEqual(code, 0);
  assert.match(refused.output(), /refusing to run the backend on 0\.0\.0\.0 without KTRDR_API_TOKEN/);

  const port = await freePort();
  const insecure = spawnNode('insecure', [CLI, 'backend', '--port', String(port), '--host', '0.0.0.0', '--insecure'], env, port);
  t.after(() => insecure.crash());
  await waitFor('insecure backend', async () => (await fetch(`${insecure.url}/health`)).ok || undefined, { timeoutMs: 15_000, proc: insecure });
  await waitFor('warning line', () => /INSECURE/.test(insecure.output()) || undefined, { timeoutMs: 5_000 });
  assert.equal(insecure.output().split('\n').filter((l) => /INSECURE/.test(l)).length, 1, insecure.output());

  const lport = await freePort();
  const local = spawnNode('local', [CLI, 'backend', '--port', String(lport)], env, lport);
  t.after(() => local.crash());
  await waitFor('loopback backend', async () => (await fetch(`${local.url}/health`)).ok || undefined, { timeoutMs: 15_000, proc: local });
  assert.doesNotMatch(local.output(), /INSECURE/);
  // Not reachable on this machine's other addresses.
  const other = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
  if (other) {
    await assert.rejects(fetch(`http://${other.address}:${lport}/health`, { signal: AbortSignal.timeout(3000) }), `reachable on ${other.address}`);
  } else {
    t.diagnostic('no non-loopback IPv4 address on this machine: reachability not checked');
  }
});
