import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildFeatures } from '../../../src/domain/features/build-features.js';
import { FeatureBuildError } from '../../../src/domain/features/feature-build-error.js';
import type { FeatureMatrix } from '../../../src/domain/features/feature-matrix.js';
import { resolveRules, ruleProbabilities } from '../../../src/domain/features/rules.js';
import { loadStrategy } from '../../../src/domain/strategy/load-strategy.js';
import { validateStrategy } from '../../../src/domain/strategy/validate-strategy.js';
import { repoRoot } from '../../helpers/paths.js';
import { column, makeSeries } from './series-fixtures.js';

function strategy(rules: { buy?: string[]; sell?: string[] } | undefined, mode: 'rules' | 'neural' = 'rules') {
  return validateStrategy({
    name: 'rules_fixture',
    training_data: { symbols: { mode: 'single', symbol: 'TEST' }, timeframes: { mode: 'single', timeframe: '1h' } },
    indicators: { rsi: { type: 'rsi', period: 14 }, roc: { type: 'roc', period: 5 } },
    fuzzy_sets: { a: { indicator: 'rsi', lo: [30, 30, 50], hi: [50, 70, 70] }, b: { indicator: 'roc', lo: [-1, -1, 0], hi: [0, 1, 1] } },
    decisions: { mode, ...(rules ? { rules } : {}) },
  });
}

function matrix(names: string[], rows: number[][]): FeatureMatrix {
  return {
    names,
    rows: rows.length,
    cols: names.length,
    values: Float32Array.from(rows.flat()),
    time: Float64Array.from(rows, (_, i) => i),
    validFrom: 0,
  };
}

const NAMES = ['1h_a_lo', '1h_a_hi', '1h_b_lo', '1h_b_hi'];

function assertRowsClose(actual: Float32Array, expected: number[][]): void {
  assert.equal(actual.length, expected.length * 3);
  expected.forEach((row, i) =>
    row.forEach((p, c) => assert.ok(Math.abs((actual[i * 3 + c] as number) - p) < 1e-6, `row ${i} class ${c}: expected ${p}, got ${actual[i * 3 + c]}`)),
  );
}

describe('ruleProbabilities', () => {
  test('fuzzy AND per side, hold = 1 − max, normalised; NaN rows are pure HOLD', () => {
    const s = strategy({ buy: ['a.lo', 'b.lo'], sell: ['a.hi', '1h_b_hi'] });
    const m = matrix(NAMES, [
      [0.8, 0.0, 0.6, 0.1], // buy .6, sell 0, hold .4
      [1, 1, 1, 1], // buy 1, sell 1, hold 0 → halves
      [0, 0.3, 0, 0.9], // buy 0, sell .3, hold .7
      [NaN, 0.5, 0.5, 0.5], // warm-up
      [0.9, 0.2, NaN, 0.2], // one buy term unknown
      [0.2, 0.9, 0.4, 0.7], // buy .2, sell .7, hold .3, sum 1.2
      [0, 0, 0, 0], // nothing fires
    ]);
    assertRowsClose(ruleProbabilities(s, m), [
      [0.6, 0.4, 0],
      [0.5, 0, 0.5],
      [0, 0.7, 0.3],
      [0, 1, 0],
      [0, 1, 0],
      [0.2 / 1.2, 0.3 / 1.2, 0.7 / 1.2],
      [0, 1, 0],
    ]);
  });

  test('an empty side never fires; column order of the matrix does not matter', () => {
    const s = strategy({ buy: ['b.hi'] });
    const m = matrix(['1h_b_hi', 'extra', '1h_a_lo'], [[0.25, 0.9, 0.9], [1, 0, 0]]);
    assertRowsClose(ruleProbabilities(s, m), [[0.25, 0.75, 0], [1, 0, 0]]);
  });

  test('resolveRules maps terms to feature names', () => {
    assert.deepEqual(resolveRules(strategy({ buy: ['a.lo', '1h_b_lo'], sell: ['a.hi'] })), { buy: ['1h_a_lo', '1h_b_lo'], sell: ['1h_a_hi'] });
  });

  test('errors: no rules, or a matrix without a needed column', () => {
    assert.throws(() => ruleProbabilities(strategy(undefined, 'neural'), matrix(NAMES, [])), (e: unknown) => e instanceof FeatureBuildError && /no decisions.rules/.test(e.message));
    assert.throws(() => ruleProbabilities(strategy({ buy: ['a.lo'] }), matrix(['1h_a_hi'], [[1]])), /no column '1h_a_lo'/);
  });

  test('end to end with the shipped rules strategy on a synthetic cycle', () => {
    const s = loadStrategy('rsi_reversion_rules', join(repoRoot, 'strategies'));
    const n = 400;
    const closes = Array.from({ length: n }, (_, i) => 1.1 + 0.01 * Math.sin((2 * Math.PI * i) / 60));
    const series = makeSeries({ timeframe: '1h', closes, highs: closes.map((c) => c + 0.0005), lows: closes.map((c) => c - 0.0005) });
    const features = buildFeatures(s, { '1h': series });
    const probs = ruleProbabilities(s, features);
    const rsiLo = column(features, '1h_rsi_14_oversold');
    const stochLo = column(features, '1h_stoch_k_oversold');
    const rsiHi = column(features, '1h_rsi_14_overbought');
    const stochHi = column(features, '1h_stoch_k_overbought');
    let buys = 0;
    let sells = 0;
    for (let i = 0; i < n; i++) {
      const [b, h, sl] = [probs[i * 3]!, probs[i * 3 + 1]!, probs[i * 3 + 2]!];
      assert.ok(Math.abs(b + h + sl - 1) < 1e-5, `row ${i} sums to ${b + h + sl}`);
      const known = [rsiLo[i], stochLo[i], rsiHi[i], stochHi[i]].every((v) => Number.isFinite(v));
      if (!known) {
        assert.deepEqual([b, h, sl], [0, 1, 0], `warm-up row ${i}`);
        continue;
      }
      assert.equal(b > 0, Math.min(rsiLo[i]!, stochLo[i]!) > 0, `row ${i} buy`);
      assert.equal(sl > 0, Math.min(rsiHi[i]!, stochHi[i]!) > 0, `row ${i} sell`);
      if (b > 0.5) buys++;
      if (sl > 0.5) sells++;
    }
    // A steady cycle reaches both extremes, so both sides must fire somewhere.
    assert.ok(buys > 0 && sells > 0, `buys ${buys}, sells ${sells}`);
    assert.ok(features.validFrom > 0 && features.validFrom < 40);
  });
});
