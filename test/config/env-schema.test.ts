/**
 * The variable table (src/config/env-schema.ts) is the truth the loaders, the docs and `--help`
 * follow: each row's "read by" column matches what the loaders actually read, the user guide's
 * table is the rendered table, and precedence is flag > environment > YAML file > default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, ENV_SPEC, ENV_VARS, readEnv, type Env, type EnvReader } from '../../src/config/env-schema.js';
import { ENV_TABLE_BEGIN, ENV_TABLE_END, renderEnvTable } from '../../src/config/env-docs.js';
import { loadBackendConfig, loadClientConfig, loadWorkerConfig } from '../../src/config/env.js';
import { runCli } from '../../src/cli/run-cli.js';
import { tempDir } from '../helpers/cluster.js';
import { repoRoot } from '../helpers/paths.js';
import { fakeIo } from '../cli/helpers/fake-io.js';

test('readEnv: blank is unset, defaults fill in, values are converted by type', () => {
  assert.equal(readEnv({}, 'KTRDR_API_PORT'), 8000);
  assert.equal(readEnv({ KTRDR_API_PORT: '  ' }, 'KTRDR_API_PORT'), 8000);
  assert.equal(readEnv({ KTRDR_API_PORT: ' 9001 ' }, 'KTRDR_API_PORT'), 9001);
  assert.equal(readEnv({}, 'WORKER_PORT'), undefined, 'no default: undefined');
  assert.equal(readEnv({ WORKER_DRAIN_SECONDS: '0.5' }, 'WORKER_DRAIN_SECONDS'), 0.5);
  assert.equal(readEnv({ WORKER_GPU: 'Yes' }, 'WORKER_GPU'), true);
  assert.equal(readEnv({ WORKER_GPU: 'off' }, 'WORKER_GPU'), false);
  assert.equal(readEnv({ LOG_LEVEL: 'DEBUG' }, 'LOG_LEVEL'), 'debug');
  assert.equal(readEnv({ KTRDR_API_URL: 'http://h:1/' }, 'KTRDR_API_URL'), 'http://h:1');
  assert.equal(readEnv({}, 'KTRDR_DB_PATH'), resolve('data/ktrdr.db'), 'a path default is resolved too');
  assert.equal(readEnv({ KTRDR_DATA_DIR: 'x/y' }, 'KTRDR_DATA_DIR'), resolve('x/y'));
});

test('readEnv: a bad value is a ConfigError naming the variable, the value and what it must be', () => {
  const cases: [Env, Parameters<typeof readEnv>[1], RegExp][] = [
    [{ KTRDR_API_PORT: '80.5' }, 'KTRDR_API_PORT', /^KTRDR_API_PORT=80\.5: must be an integer >= 0$/],
    [{ WORKER_CORES: '0' }, 'WORKER_CORES', /^WORKER_CORES=0: must be an integer >= 1$/],
    [{ WORKER_MEMORY_GB: 'lots' }, 'WORKER_MEMORY_GB', /^WORKER_MEMORY_GB=lots: must be a number >= 0$/],
    [{ WORKER_GPU: 'maybe' }, 'WORKER_GPU', /^WORKER_GPU=maybe: must be true or false$/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /^LOG_LEVEL=loud: must be one of fatal, error, warn, info, debug, trace, silent$/],
    [{ KTRDR_API_URL: 'localhost:8000' }, 'KTRDR_API_URL', /^KTRDR_API_URL=localhost:8000: must be an http:\/\/ or https:\/\/ URL$/],
    [{ KTRDR_API_URL: 'nope' }, 'KTRDR_API_URL', /^KTRDR_API_URL=nope: not a URL/],
    [{ KTRDR_ENV: 'a/b' }, 'KTRDR_ENV', /^KTRDR_ENV=a\/b: only letters, digits, - and _$/],
  ];
  for (const [env, name, message] of cases) {
    assert.throws(() => readEnv(env, name), (e: unknown) => e instanceof ConfigError && message.test(e.message), `${name}`);
  }
});

test('the table: every default has its type, and descriptions fit one table cell', () => {
  assert.ok(ENV_VARS.length >= 30, String(ENV_VARS.length));
  for (const v of ENV_VARS) {
    assert.ok(v.description.length > 5 && !v.description.includes('\n') && !v.description.includes('|'), v.name);
    assert.ok(v.readBy.length > 0, v.name);
    if (v.default === undefined) continue;
    const expected = v.type === 'integer' || v.type === 'number' ? 'number' : v.type === 'boolean' ? 'boolean' : 'string';
    assert.equal(typeof v.default, expected, `${v.name}: default ${String(v.default)}`);
    if (v.type === 'integer') assert.ok(Number.isInteger(v.default), v.name);
    if ((v.type === 'integer' || v.type === 'number') && v.min !== undefined) assert.ok((v.default as number) >= v.min, v.name);
    if (v.type === 'enum') assert.ok(v.values.includes(v.default as string), v.name);
  }
});

test("each row's read-by column is exactly the set of loaders that read the variable", () => {
  // A loader reads a variable if setting it to a probe value changes the config (or makes it throw).
  // The base is a working setup: a dev profile from the repo's config/, so KTRDR_ENV/KTRDR_CONFIG_DIR count too.
  const base: Env = { KTRDR_API_URL: 'http://127.0.0.1:1', WORKER_ID: 'w-1', KTRDR_ENV: 'dev', KTRDR_CONFIG_DIR: join(repoRoot, 'config') };
  const loaders: Record<EnvReader, (env: Env) => unknown> = {
    backend: (env) => loadBackendConfig(env),
    worker: (env) => loadWorkerConfig('backtesting', env),
    cli: (env) => loadClientConfig(env),
  };
  const outcome = (reader: EnvReader, env: Env): string => {
    try {
      return JSON.stringify(loaders[reader](env));
    } catch (err) {
      return `threw ${(err as Error).message}`;
    }
  };
  for (const reader of Object.keys(loaders) as EnvReader[]) {
    const baseline = outcome(reader, base);
    assert.doesNotMatch(baseline, /^threw/, `${reader}: the base setup must load`);
    for (const v of ENV_VARS) {
      const reads = outcome(reader, { ...base, [v.name]: 'probe' }) !== baseline;
      assert.equal(reads, v.readBy.includes(reader), `${v.name}: ${reads ? 'read' : 'not read'} by the ${reader} loader, the table says [${v.readBy.join(', ')}]`);
    }
  }
});

test('precedence: flag > environment > YAML file > default, for the backend and a worker', (t) => {
  const dir = tempDir();
  t.after(() => dir.remove());
  mkdirSync(join(dir.path, 'config'));
  writeFileSync(join(dir.path, 'config', 'workers.lab.yaml'), 'worker_drain_seconds: 4\nworker_port: 6001\ndispatch_max_attempts: 5\n');
  const base = { KTRDR_CONFIG_DIR: join(dir.path, 'config'), KTRDR_ENV: 'lab', KTRDR_API_URL: 'http://127.0.0.1:1' };

  assert.equal(loadWorkerConfig('training', {}, { apiUrl: 'http://127.0.0.1:1' }).port, 5004, 'default (per worker type)');
  assert.equal(loadWorkerConfig('training', base).port, 6001, 'the file beats the default');
  assert.equal(loadWorkerConfig('training', { ...base, WORKER_PORT: '6002' }).port, 6002, 'the environment beats the file');
  assert.equal(loadWorkerConfig('training', { ...base, WORKER_PORT: '6002' }, { port: 6003 }).port, 6003, 'a flag beats the environment');
  assert.equal(loadWorkerConfig('training', base).drainMs, 4_000);
  assert.equal(loadWorkerConfig('training', { ...base, WORKER_DRAIN_SECONDS: '' }).drainMs, 4_000, 'a blank variable does not hide the file');

  assert.equal(loadBackendConfig({}).maxDispatchAttempts, ENV_SPEC.DISPATCH_MAX_ATTEMPTS.default);
  assert.equal(loadBackendConfig(base).maxDispatchAttempts, 5);
  assert.equal(loadBackendConfig({ ...base, DISPATCH_MAX_ATTEMPTS: '2' }).maxDispatchAttempts, 2);
  assert.equal(loadBackendConfig({ ...base, DISPATCH_MAX_ATTEMPTS: '2' }, { maxDispatchAttempts: 1 }).maxDispatchAttempts, 1);

  assert.equal(loadClientConfig({}).apiUrl, 'http://localhost:8000', "the CLI's default backend");
});

test('a YAML key that is not a variable is refused, naming the file and the key', (t) => {
  const dir = tempDir();
  t.after(() => dir.remove());
  writeFileSync(join(dir.path, 'workers.typo.yaml'), 'health:\n  health_check_intervall_seconds: 2\n');
  assert.throws(
    () => loadBackendConfig({ KTRDR_CONFIG_DIR: dir.path, KTRDR_ENV: 'typo' }),
    (e: unknown) => e instanceof ConfigError && /workers\.typo\.yaml: health_check_intervall_seconds is not a ktrdr setting/.test(e.message),
  );
});

test('docs/user-guide.md shows the rendered table (regenerate: node scripts/gen-env-docs.mjs)', () => {
  const guide = readFileSync(join(repoRoot, 'docs/user-guide.md'), 'utf8');
  const begin = guide.indexOf(ENV_TABLE_BEGIN);
  const end = guide.indexOf(ENV_TABLE_END);
  assert.ok(begin >= 0 && end > begin, 'docs/user-guide.md has no generated variable table');
  assert.equal(guide.slice(begin, end + ENV_TABLE_END.length), renderEnvTable(), 'the table in docs/user-guide.md is stale: run `npm run build && node scripts/gen-env-docs.mjs`');
});

test('`ktrdr --help`, `ktrdr backend --help` and `ktrdr worker --help` list the variables each reads, with defaults', async () => {
  for (const [args, reader] of [[[], 'cli'], [['backend'], 'backend'], [['worker'], 'worker']] as const) {
    const io = fakeIo();
    assert.equal(await runCli([...args, '--help'], io), 0, io.stderr.text);
    const help = io.stdout.text;
    for (const v of ENV_VARS) assert.equal(help.includes(`  ${v.name} `), v.readBy.includes(reader), `ktrdr ${args.join(' ')} --help and ${v.name}`);
    const sample = { cli: /KTRDR_DATA_DIR +OHLCV CSV files\. \(default: data\)/, backend: /KTRDR_API_PORT +Listen port \(--port\)\. \(default: 8000\)/, worker: /WORKER_DRAIN_SECONDS +How long .* \(default: 25\)/ };
    assert.match(help, sample[reader]);
  }
});
