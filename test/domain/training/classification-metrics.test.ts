import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeClassificationMetrics } from '../../../src/domain/training/classification-metrics.js';

test('hand-worked confusion matrix, accuracy, precision/recall and baseline', () => {
  const actual = [0, 0, 1, 1, 1, 2];
  const predicted = [0, 1, 1, 1, 2, 2];
  const m = computeClassificationMetrics(actual, predicted);
  assert.deepEqual(m.confusion_matrix, [
    [1, 1, 0],
    [0, 2, 1],
    [0, 0, 1],
  ]);
  assert.equal(m.samples, 6);
  assert.equal(m.accuracy, 4 / 6);
  const [buy, hold, sell] = m.per_class;
  assert.deepEqual([buy!.label, buy!.precision, buy!.recall, buy!.support], ['BUY', 1, 0.5, 2]);
  assert.deepEqual([hold!.precision, hold!.recall, hold!.support], [2 / 3, 2 / 3, 3]);
  assert.deepEqual([sell!.precision, sell!.recall, sell!.support], [0.5, 1, 1]);
  assert.ok(Math.abs(buy!.f1 - (2 * 1 * 0.5) / 1.5) < 1e-12);
  // HOLD is the most frequent class: 3 of 6.
  assert.equal(m.baseline_accuracy, 0.5);
  assert.equal(m.baseline_class, 'HOLD');
});

test('a class never predicted has precision 0; empty input gives zeros', () => {
  const m = computeClassificationMetrics([0, 2], [1, 1]);
  assert.equal(m.per_class[0]!.precision, 0);
  assert.equal(m.per_class[0]!.recall, 0);
  assert.equal(m.per_class[0]!.f1, 0);
  assert.equal(m.per_class[1]!.precision, 0);
  const empty = computeClassificationMetrics([], []);
  assert.equal(empty.accuracy, 0);
  assert.equal(empty.baseline_accuracy, 0);
});

test('rejects mismatched lengths and out-of-range classes', () => {
  assert.throws(() => computeClassificationMetrics([0, 1], [0]), RangeError);
  assert.throws(() => computeClassificationMetrics([3], [0]), RangeError);
  assert.throws(() => computeClassificationMetrics([0], [5]), RangeError);
});

test('balanced accuracy, macro-F1, kappa and the training-set baselines, by hand', () => {
  // actual:    B B B H H H H H H S      (B=0, H=1, S=2)
  // predicted: B B H H H H H S B S
  const actual = [0, 0, 0, 1, 1, 1, 1, 1, 1, 2];
  const predicted = [0, 0, 1, 1, 1, 1, 1, 2, 0, 2];
  const m = computeClassificationMetrics(actual, predicted, ['BUY', 'HOLD', 'SELL'], { trainCounts: [50, 30, 20] });
  assert.deepEqual(m.confusion_matrix, [[2, 1, 0], [1, 4, 1], [0, 0, 1]]);
  // Recalls 2/3, 4/6, 1/1 → balanced (2/3 + 2/3 + 1) / 3.
  assert.ok(Math.abs(m.balanced_accuracy - (2 / 3 + 2 / 3 + 1) / 3) < 1e-12);
  // Precisions 2/3, 4/5, 1/2; F1 = 2/3, 8/11, 2/3.
  assert.ok(Math.abs(m.macro_f1 - (2 / 3 + 8 / 11 + 2 / 3) / 3) < 1e-12);
  // Accuracy 0.7; expected agreement Σ row·col / n² = (3·3 + 6·5 + 1·2) / 100 = 0.41.
  assert.ok(Math.abs(m.cohen_kappa - (0.7 - 0.41) / (1 - 0.41)) < 1e-12);
  // The TRAINING majority is BUY (50 of 100), not this set's majority HOLD.
  assert.equal(m.baseline_class, 'HOLD');
  assert.equal(m.train_majority!.class, 'BUY');
  assert.equal(m.train_majority!.accuracy, 0.3);
  assert.ok(Math.abs(m.train_majority!.balanced_accuracy - 1 / 3) < 1e-12);
  // Chance: 0.5·0.3 + 0.3·0.6 + 0.2·0.1 = 0.35.
  assert.ok(Math.abs(m.chance_accuracy! - 0.35) < 1e-12);
  assert.equal(computeClassificationMetrics(actual, predicted).train_majority, null);
});
