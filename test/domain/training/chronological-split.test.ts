import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitChronologically, splitChronologicallyByTime } from '../../../src/domain/training/chronological-split.js';
import { TrainingInputError } from '../../../src/domain/training/training-input-error.js';

const range = (from: number, to: number) => Int32Array.from({ length: to - from }, (_, i) => from + i);

test('70/15/15 of 100 rows: oldest 70 train, next 15 validate, newest 15 test', () => {
  const s = splitChronologically(range(0, 100), { train: 0.7, validation: 0.15, test: 0.15 });
  assert.deepEqual(Array.from(s.train), Array.from(range(0, 70)));
  assert.deepEqual(Array.from(s.validation), Array.from(range(70, 85)));
  assert.deepEqual(Array.from(s.test), Array.from(range(85, 100)));
});

test('a purge gap drops rows at the start of validation and test', () => {
  const s = splitChronologically(range(0, 100), { train: 0.7, validation: 0.15, test: 0.15 }, 5);
  assert.deepEqual(Array.from(s.train), Array.from(range(0, 70)));
  assert.deepEqual(Array.from(s.validation), Array.from(range(75, 85)));
  assert.deepEqual(Array.from(s.test), Array.from(range(90, 100)));
});

test('works on the given row ids (gaps from dropped rows are kept as ids)', () => {
  const rows = Int32Array.from([3, 4, 8, 9, 10, 20, 21, 22, 23, 30]);
  const s = splitChronologically(rows, { train: 0.6, validation: 0.2, test: 0.2 });
  assert.deepEqual([Array.from(s.train), Array.from(s.validation), Array.from(s.test)], [
    [3, 4, 8, 9, 10, 20],
    [21, 22],
    [23, 30],
  ]);
});

test('empty validation/test are allowed; bad fractions and empty train are not', () => {
  const s = splitChronologically(range(0, 10), { train: 1, validation: 0, test: 0 });
  assert.equal(s.train.length, 10);
  assert.equal(s.validation.length + s.test.length, 0);
  assert.throws(() => splitChronologically(range(0, 10), { train: 0.5, validation: 0.2, test: 0.2 }), TrainingInputError);
  assert.throws(() => splitChronologically(range(0, 10), { train: 1.2, validation: -0.1, test: -0.1 }), TrainingInputError);
  assert.throws(() => splitChronologically(range(0, 0), { train: 0.7, validation: 0.15, test: 0.15 }), TrainingInputError);
  assert.throws(() => splitChronologically(range(0, 10), { train: 0.7, validation: 0.15, test: 0.15 }, -1), TrainingInputError);
});

test('split by time: equal bar times never straddle a boundary; the gap counts bar times', () => {
  // Two symbols stacked: rows 0-9 (A) and 10-19 (B) at times 0..9 each; B's row 10+t is time t.
  const rows = Int32Array.from({ length: 20 }, (_, i) => i);
  const times = Array.from({ length: 20 }, (_, i) => i % 10);
  const s = splitChronologicallyByTime(rows, times, { train: 0.55, validation: 0.2, test: 0.25 }, 1);
  const timesOf = (a: Int32Array) => [...new Set(Array.from(a, (r) => times[r] as number))].sort((x, y) => x - y);
  // round(20·0.55) = 11 → moved to 12 so both rows of time 5 train.
  assert.deepEqual(timesOf(s.train), [0, 1, 2, 3, 4, 5]);
  assert.equal(s.train.length, 12);
  assert.deepEqual(timesOf(s.validation), [7]); // time 6 purged
  assert.deepEqual(timesOf(s.test), [9]); // time 8 purged
  assert.equal(s.validation.length, 2);
});
