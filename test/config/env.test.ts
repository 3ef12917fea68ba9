import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadBackendConfig, loadWorkerConfig } from '../../src/config/env.js';
import { tempDir } from '../helpers/cluster.js';

test('precedence: flags > environment > config/workers.{KTRDR_ENV}.yaml > defaults', (t) => {
  const dir = tempDir();
  t.after(() => dir.remove());
  mkdirSync(join(dir.path, 'config'));
  writeFileSync(
    join(dir.path, 'config', 'workers.lab.yaml'),
    'health:\n  health_check_interval_seconds: 7\n  health_check_timeout_seconds: 3\nworker_removal_threshold_seconds: 42\n',
  );
  const base = { KTRDR_CONFIG_DIR: join(dir.path, 'config'), KTRDR_ENV: 'lab' };
  const fromYaml = loadBackendConfig(base);
  assert.equal(fromYaml.healthCheckIntervalMs, 7_000, 'YAML beats the default');
  assert.equal(fromYaml.workerRemovalThresholdMs, 42_000);
  assert.equal(fromYaml.healthCheckFailureThreshold, 3, 'default where nothing is set');
  const fromEnv = loadBackendConfig({ ...base, HEALTH_CHECK_INTERVAL_SECONDS: '2' });
  assert.equal(fromEnv.healthCheckIntervalMs, 2_000, 'environment beats YAML');
  assert.equal(fromEnv.healthCheckTimeoutMs, 3_000, 'YAML still fills the rest');
  const fromFlag = loadBackendConfig({ ...base, KTRDR_API_PORT: '9000' }, { port: 9100 });
  assert.equal(fromFlag.port, 9100, 'a flag beats the environment');
  assert.equal(loadBackendConfig({}).maxQueued, 10_000);
  assert.equal(loadBackendConfig({ KTRDR_MAX_QUEUED: '5' }).maxQueued, 5);
});

test('bad values are refused with the variable named', () => {
  assert.throws(() => loadBackendConfig({ KTRDR_MAX_QUEUED: '-1' }), (e) => e instanceof ConfigError && /KTRDR_MAX_QUEUED=-1: must be an integer >= 0/.test(e.message));
  assert.throws(() => loadBackendConfig({ WORKER_START_TIMEOUT_SECONDS: 'soon' }), /WORKER_START_TIMEOUT_SECONDS=soon: must be a number/);
  assert.throws(() => loadBackendConfig({ KTRDR_ENV: '../etc' }), /KTRDR_ENV=\.\.\/etc: only letters, digits/);
  assert.throws(() => loadBackendConfig({ KTRDR_MODEL_STORE: 'gs://bucket' }), /KTRDR_MODEL_STORE=gs:\/\/bucket: expected s3:\/\/bucket/);
  assert.equal(loadBackendConfig({ KTRDR_MODEL_STORE: 's3://models/ktrdr', KTRDR_S3_ENDPOINT: 'http://minio:9000' }).s3Endpoint, 'http://minio:9000');
  assert.throws(() => loadWorkerConfig('backtesting', {}), /KTRDR_API_URL is not set/);
});
