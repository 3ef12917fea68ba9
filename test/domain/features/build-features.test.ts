import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildFeatures, featureNames, requiredTimeframes, type IndicatorComputer } from '../../../src/domain/features/build-features.js';
import { FeatureBuildError } from '../../../src/domain/features/feature-build-error.js';
import { computeIndicator } from '../../../src/domain/indicators/registry.js';
import { validateStrategy } from '../../../src/domain/strategy/validate-strategy.js';
import { HOUR, T0, column, makeSeries } from './series-fixtures.js';

const NaNs = (n: number): number[] => new Array<number>(n).fill(NaN);

/** `level` fuzzy set over SMA(2) of close: low = left shoulder [1, 1, 2], high = right shoulder [1, 3, 3]. */
function smaStrategy(timeframes: string[], nnTimeframes: string[] = timeframes) {
  return validateStrategy({
    name: 'sma_levels',
    training_data: {
      symbols: { mode: 'single', symbol: 'TEST' },
      timeframes: timeframes.length === 1
        ? { mode: 'single', timeframe: timeframes[0] }
        : { mode: 'multi_timeframe', timeframes, base_timeframe: timeframes[0] },
    },
    indicators: { sma_2: { type: 'sma', period: 2, source: 'close' } },
    fuzzy_sets: { level: { indicator: 'sma_2', low: [1, 1, 2], high: [1, 3, 3] } },
    nn_inputs: [{ fuzzy_set: 'level', timeframes: nnTimeframes }],
  });
}

describe('buildFeatures: single timeframe', () => {
  test('memberships of SMA(2), computed by hand, row-major, NaN while warming up', () => {
    const strategy = smaStrategy(['1h']);
    const series = makeSeries({ timeframe: '1h', closes: [1, 1, 2, 2, 3, 1.5] });
    const m = buildFeatures(strategy, { '1h': series });
    // SMA(2) = [NaN, 1, 1.5, 2, 2.5, 2.25]
    // low  [1,1,2]: 1 for x ≤ 1, (2 − x) on (1, 2), 0 from 2 → [NaN, 1, 0.5, 0, 0, 0]
    // high [1,3,3]: (x − 1)/2 on (1, 3), 1 from 3      → [NaN, 0, 0.25, 0.5, 0.75, 0.625]
    assert.deepEqual(m.names, ['1h_level_low', '1h_level_high']);
    assert.equal(m.rows, 6);
    assert.equal(m.cols, 2);
    assert.ok(m.values instanceof Float32Array);
    assert.deepEqual([...m.values], [NaN, NaN, 1, 0, 0.5, 0.25, 0, 0.5, 0, 0.75, 0, 0.625]);
    assert.deepEqual([...m.time], [...series.time]);
    assert.equal(m.validFrom, 1);
    assert.deepEqual(m.names, featureNames(strategy));
  });

  test('a multi-output indicator is read through its named output', () => {
    const strategy = validateStrategy({
      name: 'bb',
      training_data: { symbols: { mode: 'single', symbol: 'TEST' }, timeframes: { mode: 'single', timeframe: '1h' } },
      indicators: { bb: { type: 'bollinger_bands', period: 2, multiplier: 2 } },
      fuzzy_sets: {
        mid: { indicator: 'bb.middle', low: [1, 1, 2], high: [1, 3, 3] },
        up: { indicator: 'bb.upper', high: [1, 3, 3] },
      },
    });
    const m = buildFeatures(strategy, { '1h': makeSeries({ timeframe: '1h', closes: [1, 1, 2, 2, 3, 1.5] }) });
    // The middle band is SMA(2): same memberships as computed by hand above.
    assert.deepEqual(column(m, '1h_mid_low'), [NaN, 1, 0.5, 0, 0, 0]);
    assert.deepEqual(column(m, '1h_mid_high'), [NaN, 0, 0.25, 0.5, 0.75, 0.625]);
    // Upper band = middle + 2σ: equal to the middle where both closes are equal (σ = 0), above it elsewhere.
    const up = column(m, '1h_up_high');
    assert.equal(up[1], 0);
    assert.equal(up[3], 0.5);
    assert.ok((up[2] as number) > 0.25 && (up[4] as number) > 0.75);
  });
});

describe('buildFeatures: multi-timeframe alignment (no look-ahead)', () => {
  // 48 hourly bars from T0 and 12 four-hour bars from T0. The 4h close jumps from 1 to 3 at
  // 4h bar 2, which OPENS at 08:00 and CLOSES at 12:00. SMA(2) on 4h = [NaN, 1, 2, 3, 3, ...],
  // so 4h high-membership ([1, 3, 3]) = [NaN, 0, 0.5, 1, 1, ...].
  const hourly = makeSeries({ timeframe: '1h', closes: new Array<number>(48).fill(1) });
  const fourHourly = makeSeries({ timeframe: '4h', stepMs: 4 * HOUR, closes: [1, 1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3] });
  const strategy = smaStrategy(['1h', '4h']);
  const m = buildFeatures(strategy, { '1h': hourly, '4h': fourHourly });
  const high4h = column(m, '4h_level_high');

  test('a 4h bar is used only from the first 1h bar opening at or after its close', () => {
    const expected = [
      ...NaNs(4), // 00:00-03:00: no 4h bar has closed yet
      ...NaNs(4), // 04:00-07:00: bar 0 (closed 04:00) but SMA(2) is still warming up
      0, 0, 0, 0, // 08:00-11:00: bar 1 (04:00-08:00), SMA = 1
      0.5, 0.5, 0.5, 0.5, // 12:00-15:00: bar 2 (08:00-12:00), SMA = 2: the jump shows from 12:00
      ...new Array<number>(32).fill(1), // from 16:00: SMA = 3
    ];
    assert.deepEqual(high4h, expected);
  });

  test('the jump is NOT visible at 08:00 (bar open time) nor at 11:00 (one base bar early)', () => {
    // Aligning on the 4h bar's open time would put 0.5 at 08:00; any peek shows up before 12:00.
    for (let row = 8; row < 12; row++) assert.equal(high4h[row], 0, `row ${row} (${row}:00) must still see bar 1`);
    assert.equal(high4h[12], 0.5);
  });

  test('base-timeframe columns come first as listed, validFrom waits for the 4h warm-up', () => {
    assert.deepEqual(m.names, ['1h_level_low', '1h_level_high', '4h_level_low', '4h_level_high']);
    assert.deepEqual(column(m, '1h_level_low'), [NaN, ...new Array<number>(47).fill(1)]);
    assert.equal(m.validFrom, 8);
    assert.deepEqual(requiredTimeframes(strategy), ['1h', '4h']);
  });

  test('gaps in the base series (a weekend) still pick the latest closed 4h bar', () => {
    // Base bars at 00:00..05:00, then a gap until 21:00 and 22:00.
    const times = [0, 1, 2, 3, 4, 5, 21, 22].map((h) => T0 + h * HOUR);
    const base = makeSeries({ timeframe: '1h', closes: new Array<number>(8).fill(1), times });
    const mm = buildFeatures(smaStrategy(['1h', '4h']), { '1h': base, '4h': fourHourly });
    // 21:00 → last closed 4h bar opened 16:00 (closed 20:00), index 4, SMA 3 → 1.
    // 04:00, 05:00 → bar 0 → NaN (warm-up).
    assert.deepEqual(column(mm, '4h_level_high'), [NaN, NaN, NaN, NaN, NaN, NaN, 1, 1]);
  });

  test('a timeframe used only by some nn_inputs still aligns; unused timeframes need no data', () => {
    const s = smaStrategy(['1h', '4h', '1d'], ['4h']);
    assert.deepEqual(requiredTimeframes(s), ['1h', '4h']);
    const mm = buildFeatures(s, { '1h': hourly, '4h': fourHourly });
    assert.deepEqual(mm.names, ['4h_level_low', '4h_level_high']);
    assert.deepEqual(column(mm, '4h_level_high'), high4h);
  });
});

describe('buildFeatures: work and errors', () => {
  test('each indicator is computed once per timeframe', () => {
    const strategy = validateStrategy({
      name: 'once',
      training_data: {
        symbols: { mode: 'single', symbol: 'TEST' },
        timeframes: { mode: 'multi_timeframe', timeframes: ['1h', '4h'], base_timeframe: '1h' },
      },
      indicators: { macd: { type: 'macd', fast_period: 3, slow_period: 6, signal_period: 2 }, rsi: { type: 'rsi', period: 3 } },
      fuzzy_sets: {
        hist: { indicator: 'macd.histogram', neg: [-1, -1, 0], pos: [0, 1, 1] },
        line: { indicator: 'macd.macd', neg: [-1, -1, 0], pos: [0, 1, 1] },
        rsi: { low: [30, 30, 50], high: [50, 70, 70] },
      },
      nn_inputs: [{ fuzzy_set: 'hist' }, { fuzzy_set: 'line' }, { fuzzy_set: 'rsi', timeframes: ['1h'] }],
    });
    const calls: string[] = [];
    const counting: IndicatorComputer = (spec, series) => {
      calls.push(`${series.timeframe}:${spec.type}`);
      return computeIndicator(spec, series);
    };
    const closes = Array.from({ length: 80 }, (_, i) => 1 + 0.01 * Math.sin(i / 3));
    const m = buildFeatures(
      strategy,
      {
        '1h': makeSeries({ timeframe: '1h', closes }),
        '4h': makeSeries({ timeframe: '4h', stepMs: 4 * HOUR, closes: closes.slice(0, 20) }),
      },
      { computeIndicator: counting },
    );
    assert.deepEqual(calls.sort(), ['1h:macd', '1h:rsi', '4h:macd']);
    assert.equal(m.cols, 2 * 2 + 2 * 2 + 2);
  });

  test('missing, mislabelled or unordered series are rejected', () => {
    const s = smaStrategy(['1h', '4h']);
    const h = makeSeries({ timeframe: '1h', closes: [1, 2, 3] });
    const f = makeSeries({ timeframe: '4h', stepMs: 4 * HOUR, closes: [1, 2] });
    assert.throws(() => buildFeatures(s, { '1h': h }), (e: unknown) => e instanceof FeatureBuildError && e.code === 'FEATURE_BUILD_FAILED' && /no 4h series/.test(e.message));
    assert.throws(() => buildFeatures(s, { '1h': h, '4h': { ...f, timeframe: '1d' } }), /labelled 1d/);
    assert.throws(() => buildFeatures(s, { '1h': h, '4h': { ...f, symbol: 'OTHER' } }), /4h series is OTHER but the 1h series is TEST/);
    const unordered = makeSeries({ timeframe: '1h', closes: [1, 2, 3], times: [T0, T0 + 2 * HOUR, T0 + HOUR] });
    assert.throws(() => buildFeatures(s, { '1h': unordered, '4h': f }), /not strictly increasing at index 2/);
  });

  test('an empty base series gives an empty matrix', () => {
    const m = buildFeatures(smaStrategy(['1h']), { '1h': makeSeries({ timeframe: '1h', closes: [] }) });
    assert.equal(m.rows, 0);
    assert.equal(m.values.length, 0);
    assert.equal(m.validFrom, 0);
  });
});
