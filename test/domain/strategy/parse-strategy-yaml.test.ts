import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseStrategyYaml } from '../../../src/domain/strategy/parse-strategy-yaml.js';
import { StrategyValidationError } from '../../../src/domain/strategy/strategy-validation-error.js';

const valid = `
name: yaml_case
version: "3.0"
training_data:
  symbols: { mode: single, symbol: EURUSD }
  timeframes: { mode: multi_timeframe, timeframes: [1h, 4h], base_timeframe: 1h }
indicators:
  macd: { type: macd, fast_period: 12, slow_period: 26, signal_period: 9 }
fuzzy_sets:
  hist:
    indicator: macd.histogram
    negative: [-1e-4, -1e-4, 0]
    positive: [0, 1e-4, 1e-4]
nn_inputs:
  - fuzzy_set: hist
    timeframes: all
decisions:
  mode: rules
  rules:
    buy: [hist.positive, 4h_hist_positive]
    sell: [hist.negative]
`;

describe('parseStrategyYaml', () => {
  test('parses YAML scalars as intended: 1h stays a string, 1e-4 is a number', () => {
    const s = parseStrategyYaml(valid, 'inline');
    assert.deepEqual(s.training_data.timeframes.timeframes, ['1h', '4h']);
    assert.deepEqual(s.fuzzy_sets['hist']!.sets['negative'], { type: 'triangular', parameters: [-0.0001, -0.0001, 0] });
    assert.deepEqual(s.decisions.rules, { buy: ['hist.positive', '4h_hist_positive'], sell: ['hist.negative'] });
  });

  test('a YAML syntax error is a STRATEGY_INVALID with the line', () => {
    assert.throws(
      () => parseStrategyYaml('name: x\nindicators: [unclosed\n', 'bad.yaml'),
      (err: unknown) =>
        err instanceof StrategyValidationError && err.code === 'STRATEGY_INVALID' && /YAML syntax error at line \d+/.test(err.message) && err.message.includes("'bad.yaml'"),
    );
  });

  test('duplicate keys are rejected, not silently overwritten', () => {
    assert.throws(() => parseStrategyYaml(valid.replace('version: "3.0"', 'version: "3.0"\nname: again')), /YAML syntax error.*[Dd]uplicate|YAML syntax error.*unique/);
  });

  test('validation issues carry paths', () => {
    assert.throws(
      () => parseStrategyYaml(valid.replace('indicator: macd.histogram', 'indicator: macd')),
      (err: unknown) => err instanceof StrategyValidationError && err.issues.some((i) => i.path === 'fuzzy_sets.hist.indicator'),
    );
  });
});
