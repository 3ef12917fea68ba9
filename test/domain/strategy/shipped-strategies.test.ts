import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { featureNames, requiredTimeframes } from '../../../src/domain/strategy/feature-layout.js';
import { listStrategies, loadStrategy } from '../../../src/domain/strategy/load-strategy.js';
import { repoRoot } from '../../helpers/paths.js';

const dir = join(repoRoot, 'strategies');
const sets = (tf: string, fuzzySet: string, names: string[]): string[] => names.map((n) => `${tf}_${fuzzySet}_${n}`);

describe('shipped strategies', () => {
  test('the four documented strategies are there', () => {
    const names = listStrategies(dir);
    for (const n of ['rsi_macd_1h', 'mtf_trend_1h_4h', 'adx_atr_bollinger_1d', 'rsi_reversion_rules']) assert.ok(names.includes(n), n);
  });

  for (const name of listStrategies(dir)) {
    test(`${name} parses and validates, name matches file`, () => {
      const s = loadStrategy(name, dir);
      assert.equal(s.name, name);
      assert.ok(featureNames(s).length > 0);
      if (s.decisions.mode === 'neural') {
        // Kept small and fast to train.
        assert.ok(s.model.architecture.hidden_layers.every((u) => u <= 64));
        assert.ok(s.training.epochs <= 50);
      }
    });
  }

  test('rsi_macd_1h: single 1h timeframe, 6 features in written order', () => {
    const s = loadStrategy('rsi_macd_1h', dir);
    assert.deepEqual(requiredTimeframes(s), ['1h']);
    assert.deepEqual(featureNames(s), [...sets('1h', 'rsi_14', ['oversold', 'neutral', 'overbought']), ...sets('1h', 'macd_hist', ['negative', 'neutral', 'positive'])]);
    assert.equal(s.decisions.mode, 'neural');
    assert.ok(s.decisions.rules);
  });

  test('mtf_trend_1h_4h: 1h base with 4h context, nn_inputs order then timeframe order', () => {
    const s = loadStrategy('mtf_trend_1h_4h', dir);
    assert.equal(s.training_data.timeframes.base_timeframe, '1h');
    assert.deepEqual(requiredTimeframes(s), ['1h', '4h']);
    assert.deepEqual(featureNames(s), [
      ...sets('1h', 'rsi_14', ['oversold', 'neutral', 'overbought']),
      ...sets('4h', 'rsi_14', ['oversold', 'neutral', 'overbought']),
      ...sets('1h', 'ema_trend', ['bearish', 'flat', 'bullish']),
      ...sets('4h', 'ema_trend', ['bearish', 'flat', 'bullish']),
    ]);
  });

  test('adx_atr_bollinger_1d: multi-output indicators addressed by output', () => {
    const s = loadStrategy('adx_atr_bollinger_1d', dir);
    assert.equal(s.fuzzy_sets['adx_strength']!.indicator, 'adx_14.adx');
    assert.equal(s.fuzzy_sets['bb_width']!.indicator, 'bb_20.width');
    assert.equal(featureNames(s).length, 3 + 2 + 2 + 3 + 3);
    assert.deepEqual(requiredTimeframes(s), ['1d']);
  });

  test('rsi_reversion_rules: rules mode, model-free', () => {
    const s = loadStrategy('rsi_reversion_rules', dir);
    assert.equal(s.decisions.mode, 'rules');
    assert.deepEqual(s.decisions.rules, { buy: ['rsi_14.oversold', 'stoch_k.oversold'], sell: ['rsi_14.overbought', 'stoch_k.overbought'] });
  });
});
