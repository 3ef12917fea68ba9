import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidIndicatorSpecError } from '../../../src/domain/indicators/indicator-error.js';
import {
  INDICATOR_TYPES,
  canonicalIndicatorType,
  computeIndicator,
  indicatorOutputs,
  indicatorWarmup,
  validateIndicatorSpec,
} from '../../../src/domain/indicators/registry.js';
import { syntheticOhlcv } from './synthetic-ohlcv.js';

describe('type names', () => {
  test('INDICATOR_TYPES lists the ten canonical names', () => {
    assert.deepEqual([...INDICATOR_TYPES], ['sma', 'ema', 'rsi', 'macd', 'bollinger_bands', 'atr', 'adx', 'stochastic', 'roc', 'obv']);
  });

  test('canonicalIndicatorType matches case-insensitively and resolves aliases', () => {
    for (const type of INDICATOR_TYPES) {
      assert.equal(canonicalIndicatorType(type), type);
      assert.equal(canonicalIndicatorType(type.toUpperCase()), type);
    }
    assert.equal(canonicalIndicatorType('RSI'), 'rsi');
    assert.equal(canonicalIndicatorType('BBands'), 'bollinger_bands');
    assert.equal(canonicalIndicatorType('bollinger'), 'bollinger_bands');
    assert.equal(canonicalIndicatorType('BollingerBands'), 'bollinger_bands');
    assert.equal(canonicalIndicatorType('Stoch'), 'stochastic');
    assert.equal(canonicalIndicatorType('rsx'), undefined);
    assert.equal(canonicalIndicatorType(''), undefined);
  });

  test('indicatorOutputs names every output; single-output indicators have `value`', () => {
    assert.deepEqual(indicatorOutputs('rsi'), ['value']);
    assert.deepEqual(indicatorOutputs('MACD'), ['macd', 'signal', 'histogram']);
    assert.deepEqual(indicatorOutputs('bbands'), ['upper', 'middle', 'lower', 'width']);
    assert.deepEqual(indicatorOutputs('adx'), ['adx', 'plus_di', 'minus_di']);
    assert.deepEqual(indicatorOutputs('stoch'), ['k', 'd']);
    for (const type of ['sma', 'ema', 'atr', 'roc', 'obv']) assert.deepEqual(indicatorOutputs(type), ['value']);
    assert.equal(indicatorOutputs('nope'), undefined);
  });

  test('computeIndicator returns exactly the declared outputs, each a full-length Float64Array', () => {
    const series = syntheticOhlcv(300, 5);
    for (const type of [...INDICATOR_TYPES, 'BBANDS', 'stoch']) {
      const out = computeIndicator({ type }, series);
      assert.deepEqual(Object.keys(out), indicatorOutputs(type));
      for (const values of Object.values(out)) {
        assert.ok(values instanceof Float64Array);
        assert.equal(values.length, series.length);
      }
    }
  });
});

describe('validateIndicatorSpec', () => {
  test('accepts every type with its defaults and with explicit KTRDR parameters', () => {
    for (const type of INDICATOR_TYPES) assert.deepEqual(validateIndicatorSpec({ type }), [], type);
    const specs = [
      { type: 'rsi', period: 14, source: 'close' },
      { type: 'sma', period: 1, source: 'hlc3' },
      { type: 'macd', fast_period: 12, slow_period: 26, signal_period: 9, source: 'ohlc4' },
      { type: 'bollinger_bands', period: 20, multiplier: 2.5, source: 'hl2' },
      { type: 'stochastic', k_period: 14, d_period: 3, smooth_k: 3 },
      { type: 'ADX', period: 14 },
      { type: 'roc', period: 10, source: 'volume' },
    ];
    for (const spec of specs) assert.deepEqual(validateIndicatorSpec(spec), [], spec.type);
  });

  test('an unknown type names the known ones and suggests a close one', () => {
    const [issue, ...rest] = validateIndicatorSpec({ type: 'rsx', period: 14 });
    assert.equal(rest.length, 0);
    assert.equal(issue?.path, 'type');
    assert.match(issue!.message, /unknown indicator type 'rsx' \(did you mean 'rsi'\?\)/);
    for (const type of INDICATOR_TYPES) assert.ok(issue!.message.includes(type), type);
    assert.equal(validateIndicatorSpec({ type: 42 } as never)[0]?.path, 'type');
  });

  test('a misspelled parameter is reported with a suggestion', () => {
    assert.deepEqual(validateIndicatorSpec({ type: 'rsi', peroid: 14 }), [
      { path: 'peroid', message: "unknown parameter 'peroid' for rsi (did you mean 'period'?); known: period, source" },
    ]);
    const [issue] = validateIndicatorSpec({ type: 'macd', fast: 12 });
    assert.equal(issue?.path, 'fast');
    assert.match(issue!.message, /known: fast_period, slow_period, signal_period, source/);
  });

  test('parameters an indicator does not take are rejected', () => {
    assert.equal(validateIndicatorSpec({ type: 'atr', source: 'close' })[0]?.path, 'source');
    assert.equal(validateIndicatorSpec({ type: 'stochastic', period: 14 })[0]?.path, 'period');
    assert.deepEqual(validateIndicatorSpec({ type: 'obv', period: 3 }), [
      { path: 'period', message: "unknown parameter 'period': obv takes no parameters" },
    ]);
  });

  test('periods must be integers >= 1', () => {
    const bad: [unknown, string][] = [
      [0, 'must be an integer >= 1, got 0'],
      [-3, 'must be an integer >= 1, got -3'],
      [2.5, 'must be an integer >= 1, got 2.5'],
      ['14', "must be an integer >= 1, got '14' (a string)"],
      [null, 'must be an integer >= 1, got null'],
      [NaN, 'must be an integer >= 1, got NaN'],
      [Infinity, 'must be an integer >= 1, got Infinity'],
    ];
    for (const [period, message] of bad) {
      assert.deepEqual(validateIndicatorSpec({ type: 'ema', period }), [{ path: 'period', message }], String(period));
    }
    assert.deepEqual(
      validateIndicatorSpec({ type: 'stochastic', k_period: 0, d_period: 1.5, smooth_k: 3 }).map((i) => i.path),
      ['k_period', 'd_period'],
    );
  });

  test('macd needs fast_period < slow_period', () => {
    assert.deepEqual(validateIndicatorSpec({ type: 'macd', fast_period: 26, slow_period: 12 }), [
      { path: 'fast_period', message: 'must be less than slow_period (12), got 26' },
    ]);
    assert.equal(validateIndicatorSpec({ type: 'macd', fast_period: 26 }).length, 1, 'default slow_period 26');
    assert.deepEqual(validateIndicatorSpec({ type: 'macd', fast_period: 25 }), []);
  });

  test('source must be a known price source', () => {
    assert.deepEqual(validateIndicatorSpec({ type: 'sma', source: 'clse' }), [
      { path: 'source', message: "unknown source 'clse' (did you mean 'close'?); known: open, high, low, close, volume, hl2, hlc3, ohlc4" },
    ]);
    assert.equal(validateIndicatorSpec({ type: 'sma', source: 3 })[0]?.message, 'must be one of open, high, low, close, volume, hl2, hlc3, ohlc4, got 3');
  });

  test('bollinger multiplier must be a finite number > 0', () => {
    for (const multiplier of [0, -1, 'two', Infinity]) {
      const [issue] = validateIndicatorSpec({ type: 'bbands', multiplier });
      assert.equal(issue?.path, 'multiplier', String(multiplier));
      assert.match(issue!.message, /^must be a finite number > 0, got /);
    }
  });

  test('reports every problem at once', () => {
    const issues = validateIndicatorSpec({ type: 'macd', fast_period: 0, slow_period: 'x', signl_period: 9, source: 'hcl3' });
    assert.deepEqual(issues.map((i) => i.path).sort(), ['fast_period', 'signl_period', 'slow_period', 'source']);
  });
});

describe('computeIndicator and indicatorWarmup on invalid specs', () => {
  test('throw InvalidIndicatorSpecError carrying the issues', () => {
    const series = syntheticOhlcv(50, 6);
    assert.throws(
      () => computeIndicator({ type: 'rsi', period: 0 }, series),
      (err: unknown) =>
        err instanceof InvalidIndicatorSpecError &&
        err.code === 'INDICATOR_SPEC_INVALID' &&
        err.issues.length === 1 &&
        err.message === "invalid indicator spec (type 'rsi'): period: must be an integer >= 1, got 0",
    );
    assert.throws(() => computeIndicator({ type: 'nope' }, series), InvalidIndicatorSpecError);
    assert.throws(() => indicatorWarmup({ type: 'macd', fast_period: 30 }), /fast_period: must be less than slow_period/);
  });
});

describe('indicatorWarmup', () => {
  test('defaults: first bar with every output defined', () => {
    const expected: Record<string, number> = {
      sma: 19, // period - 1
      ema: 19,
      rsi: 14, // one change per bar, first at bar 1
      macd: 33, // slow - 1 + signal - 1
      bollinger_bands: 19,
      atr: 14,
      adx: 27, // DI from bar 14, ADX after 14 DX values
      stochastic: 17, // k_period - 1 + smooth_k - 1 + d_period - 1
      roc: 10,
      obv: 0,
    };
    for (const type of INDICATOR_TYPES) assert.equal(indicatorWarmup({ type }), expected[type], type);
  });
});
