import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alignToBase } from '../../../src/domain/features/timeframe-alignment.js';

const H = 3_600_000;
const hours = (...h: number[]): Float64Array => Float64Array.from(h, (x) => x * H);

describe('alignToBase', () => {
  test('maps each base bar to the latest bar closed by its open time (close == open counts)', () => {
    // 4h bars open at 0, 4, 8 → close at 4, 8, 12.
    const other = hours(0, 4, 8);
    const base = hours(0, 3, 4, 5, 7, 8, 11, 12, 30);
    assert.deepEqual([...alignToBase(base, other, 4 * H)], [-1, -1, 0, 0, 0, 1, 1, 2, 2]);
  });

  test('irregular other-timeframe bars (gaps) and a lower timeframe than base', () => {
    // 1d bars on Fri (day 4) and Mon (day 7); base 4h bars over the weekend.
    const D = 24;
    const daily = hours(4 * D, 7 * D);
    const base = hours(4 * D, 5 * D - 4, 5 * D, 6 * D, 7 * D + 20, 8 * D);
    assert.deepEqual([...alignToBase(base, daily, 24 * H)], [-1, -1, 0, 0, 0, 1]);
    // 1h "other" under a 4h base: latest 1h bar closed by the 4h open.
    assert.deepEqual([...alignToBase(hours(0, 4, 8), hours(0, 1, 2, 3, 4, 5), H)], [-1, 3, 5]);
  });

  test('empty inputs', () => {
    assert.deepEqual([...alignToBase(hours(), hours(0), H)], []);
    assert.deepEqual([...alignToBase(hours(1, 2), hours(), H)], [-1, -1]);
  });
});
