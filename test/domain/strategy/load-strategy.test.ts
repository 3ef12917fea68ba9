import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { listStrategies, loadStrategy, loadStrategyByName } from '../../../src/domain/strategy/load-strategy.js';
import { StrategyNotFoundError } from '../../../src/domain/strategy/strategy-not-found-error.js';
import { StrategyValidationError } from '../../../src/domain/strategy/strategy-validation-error.js';

const doc = (name: string): string => `
name: ${name}
training_data:
  symbols: { mode: single, symbol: EURUSD }
  timeframes: { mode: single, timeframe: 1h }
indicators:
  rsi_14: { type: rsi, period: 14 }
fuzzy_sets:
  rsi_14:
    low: [30, 30, 50]
    high: [50, 70, 70]
`;

function tempStrategies(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-strategies-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'alpha.yaml'), doc('alpha'));
  writeFileSync(join(dir, 'beta.yml'), doc('beta'));
  writeFileSync(join(dir, 'broken.yaml'), doc('broken').replace('period: 14', 'peroid: 14'));
  writeFileSync(join(dir, 'notes.txt'), 'not a strategy');
  mkdirSync(join(dir, 'nested'));
  writeFileSync(join(dir, 'nested', 'gamma.yaml'), doc('gamma'));
  return dir;
}

describe('loadStrategy / listStrategies', () => {
  test('lists .yaml and .yml files by name, sorted, ignoring other files and folders', (t) => {
    const dir = tempStrategies(t);
    assert.deepEqual(listStrategies(dir), ['alpha', 'beta', 'broken']);
    assert.deepEqual(listStrategies(join(dir, 'missing')), []);
  });

  test('loads by name (.yaml, then .yml) and by path', (t) => {
    const dir = tempStrategies(t);
    assert.equal(loadStrategy('alpha', dir).name, 'alpha');
    assert.equal(loadStrategy('beta', dir).name, 'beta');
    assert.equal(loadStrategy('nested/gamma.yaml', dir).name, 'gamma');
    assert.equal(loadStrategy(join(dir, 'alpha.yaml'), '/nonexistent').name, 'alpha');
    assert.equal(loadStrategy('alpha.yaml', dir).name, 'alpha');
  });

  test('an unknown name gives STRATEGY_NOT_FOUND listing what exists', (t) => {
    const dir = tempStrategies(t);
    try {
      loadStrategy('alhpa', dir);
      assert.fail('expected StrategyNotFoundError');
    } catch (err) {
      assert.ok(err instanceof StrategyNotFoundError);
      assert.equal(err.code, 'STRATEGY_NOT_FOUND');
      assert.deepEqual(err.available, ['alpha', 'beta', 'broken']);
      assert.match(err.message, /strategy 'alhpa' not found in .*; available: alpha, beta, broken/);
    }
  });

  test('names cannot escape the strategies directory', (t) => {
    const dir = tempStrategies(t);
    assert.throws(() => loadStrategy('..', dir), StrategyNotFoundError);
    assert.throws(() => loadStrategy('nested', dir), StrategyNotFoundError);
  });

  test('an invalid file gives STRATEGY_INVALID naming the file and the path', (t) => {
    const dir = tempStrategies(t);
    assert.throws(
      () => loadStrategy('broken', dir),
      (err: unknown) =>
        err instanceof StrategyValidationError &&
        err.message.includes('broken.yaml') &&
        err.issues.some((i) => i.path === 'indicators.rsi_14.peroid'),
    );
  });
});

describe('loadStrategyByName cache (keyed by mtime and size)', () => {
  test('an unchanged file is parsed once; an edited one is read again; callers get independent copies', (t) => {
    const dir = tempStrategies(t);
    const a = loadStrategyByName('alpha', dir);
    const b = loadStrategyByName('alpha', dir);
    assert.deepEqual(a, b);
    assert.notEqual(a, b, 'each caller gets its own copy');
    (a as { name: string }).name = 'mutated';
    assert.equal(loadStrategyByName('alpha', dir).name, 'alpha', "a caller's change does not leak into the cache");
    // Same size, new content and mtime: the name is one character longer, so size changes too.
    writeFileSync(join(dir, 'alpha.yaml'), doc('alpha2'));
    assert.equal(loadStrategyByName('alpha', dir).name, 'alpha2');
    const later = new Date(Date.now() + 5_000);
    writeFileSync(join(dir, 'alpha.yaml'), doc('alpha3'));
    utimesSync(join(dir, 'alpha.yaml'), later, later);
    assert.equal(loadStrategyByName('alpha', dir).name, 'alpha3', 'same size, newer mtime: re-read');
  });

  test('a file that stops validating is reported, not served from the cache', (t) => {
    const dir = tempStrategies(t);
    loadStrategyByName('alpha', dir);
    writeFileSync(join(dir, 'alpha.yaml'), doc('alpha').replace('period: 14', 'peroid: 14'));
    assert.throws(() => loadStrategyByName('alpha', dir), StrategyValidationError);
  });
});
