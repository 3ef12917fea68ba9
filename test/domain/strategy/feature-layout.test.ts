import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { featureColumns, featureNames, requiredTimeframes } from '../../../src/domain/strategy/feature-layout.js';
import { validateStrategy } from '../../../src/domain/strategy/validate-strategy.js';

const strategy = validateStrategy({
  name: 'layout',
  training_data: {
    symbols: { mode: 'single', symbol: 'EURUSD' },
    timeframes: { mode: 'multi_timeframe', timeframes: ['4h', '1h', '1d'], base_timeframe: '1h' },
  },
  indicators: { rsi_14: { type: 'rsi', period: 14 }, roc_5: { type: 'roc', period: 5 } },
  fuzzy_sets: {
    // Declared in the opposite order of nn_inputs, sets in a non-alphabetical order.
    roc: { indicator: 'roc_5', up: [0, 1, 1], down: [-1, -1, 0] },
    rsi_14: { indicator: 'rsi_14', overbought: [55, 70, 70], oversold: [30, 30, 45] },
  },
  nn_inputs: [
    { fuzzy_set: 'rsi_14', timeframes: ['1h', '4h'] }, // listed against the strategy order
    { fuzzy_set: 'roc', timeframes: ['1h'] },
  ],
});

describe('feature layout', () => {
  test('nn_inputs order, then the strategy timeframe order, then sets as written', () => {
    assert.deepEqual(featureNames(strategy), [
      '4h_rsi_14_overbought',
      '4h_rsi_14_oversold',
      '1h_rsi_14_overbought',
      '1h_rsi_14_oversold',
      '1h_roc_up',
      '1h_roc_down',
    ]);
    assert.deepEqual(featureColumns(strategy)[4], { name: '1h_roc_up', timeframe: '1h', fuzzySet: 'roc', set: 'up' });
  });

  test('requiredTimeframes: base plus those used, in strategy order; unused 1d left out', () => {
    assert.deepEqual(requiredTimeframes(strategy), ['4h', '1h']);
  });
});
