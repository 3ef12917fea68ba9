import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidRequestError } from '../../src/contracts/errors.js';
import { backtestStartRoute } from '../../src/workers/backtest/backtest-start-route.js';
import { repoRoot } from '../helpers/paths.js';

const route = backtestStartRoute({ dataDir: join(repoRoot, 'data'), strategiesDir: join(repoRoot, 'strategies'), modelsDir: join(repoRoot, 'no-models') });
const dates = { start_date: '2024-01-01', end_date: '2024-03-31' };

test('a backtest request may carry the strategy as strategy_yaml; its name is recorded, the text is passed on', async () => {
  const yaml = readFileSync(join(repoRoot, 'strategies', 'rsi_reversion_rules.yaml'), 'utf8').replace('name: rsi_reversion_rules', 'name: my_copy');
  const prepared = await route.prepare({ strategy_yaml: yaml, ...dates, initial_capital: 100_000 } as never);
  assert.equal((prepared.metadata.parameters as Record<string, unknown>)['strategy_name'], 'my_copy');
  assert.equal((prepared.metadata.parameters as Record<string, unknown>)['strategy_source'], 'strategy_yaml');
  assert.equal((prepared.payload as Record<string, unknown>)['strategy_yaml'], yaml);
  assert.equal(prepared.metadata.symbol, 'EURUSD');
});

test('exactly one of strategy_name and strategy_yaml; an invalid YAML is a 400 naming the field', async () => {
  const issue = async (body: object) => {
    try {
      await route.prepare({ ...dates, initial_capital: 100_000, ...body } as never);
    } catch (e) {
      assert.ok(e instanceof InvalidRequestError);
      return e.message;
    }
    assert.fail('expected InvalidRequestError');
  };
  assert.match(await issue({}), /strategy_name: give exactly one of strategy_name or strategy_yaml/);
  assert.match(await issue({ strategy_name: 'rsi_reversion_rules', strategy_yaml: 'name: x' }), /give exactly one/);
  assert.match(await issue({ strategy_yaml: 'name: x\ntrading: { allow_short: maybe }\n' }), /strategy_yaml: trading\.allow_short: expected true or false/);
});

test('the operation records the model version next to the model path', async (t) => {
  const { mkdirSync, mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-mv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'rsi_macd_1h', '1h_v7'), { recursive: true });
  // model_path is a reference inside the models dir (never an absolute path).
  const inDir = backtestStartRoute({ dataDir: join(repoRoot, 'data'), strategiesDir: join(repoRoot, 'strategies'), modelsDir: dir });
  const neural = await inDir.prepare({ strategy_name: 'rsi_macd_1h', model_path: 'rsi_macd_1h/1h_v7', ...dates, initial_capital: 100_000 } as never);
  assert.equal((neural.metadata.parameters as Record<string, unknown>)['model_version'], 'rsi_macd_1h/1h_v7');
  const rules = await route.prepare({ strategy_name: 'rsi_reversion_rules', ...dates, initial_capital: 100_000 } as never);
  assert.equal((rules.metadata.parameters as Record<string, unknown>)['model_version'], null);
});

test('the backend pins each CSV by hash and never parses it; a missing file is a 400 naming symbol or timeframe', async (t) => {
  const { createHash } = await import('node:crypto');
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dataDir = mkdtempSync(join(tmpdir(), 'ktrdr-pin-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  // Not a valid CSV at all: the backend only hashes it (the worker checks the dates).
  writeFileSync(join(dataDir, 'EURUSD_1h.csv'), 'not,a,csv\n');
  const pinned = backtestStartRoute({ dataDir, strategiesDir: join(repoRoot, 'strategies'), modelsDir: join(repoRoot, 'no-models') });
  const body = { strategy_name: 'rsi_reversion_rules', ...dates, initial_capital: 100_000, data_sha256: { EURUSD_1h: '0'.repeat(64) } };
  const prepared = await pinned.prepare(body as never);
  const sha = createHash('sha256').update('not,a,csv\n').digest('hex');
  assert.deepEqual((prepared.payload as Record<string, unknown>)['data_sha256'], { EURUSD_1h: sha }, "the client's hash is replaced");
  const issue = async (extra: object) => {
    try {
      await pinned.prepare({ ...body, ...extra } as never);
    } catch (e) {
      assert.ok(e instanceof InvalidRequestError);
      return e.message;
    }
    assert.fail('expected InvalidRequestError');
  };
  assert.match(await issue({ symbol: 'GBPUSD' }), /^symbol: no GBPUSD 1h data/);
  assert.match(await issue({ timeframe: '4h' }), /^timeframe: no EURUSD 4h data: .*EURUSD is available in 1h/);
});
