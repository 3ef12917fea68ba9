import assert from 'node:assert/strict';

/** Relative tolerance of every oracle comparison. */
export const TOLERANCE = 1e-9;

/**
 * Asserts that `actual` is NaN before `firstIndex` and matches `expected` from there on, where
 * `expected[j]` belongs to bar `firstIndex + j` and runs to the end of the series (the oracles
 * return arrays without the warm-up, so the tail is what lines up).
 *
 * Each value must be within `TOLERANCE * max(|expected|, mean |expected|)`: relative for values of
 * typical size, and absolute at the series' own scale for values crossing zero (MACD, ROC, OBV),
 * where a relative test would demand impossible precision from differences that are ~0.
 */
export function assertMatchesOracle(
  label: string,
  actual: Float64Array,
  expected: ArrayLike<number | null | undefined>,
  firstIndex: number,
): void {
  assert.equal(firstIndex + expected.length, actual.length, `${label}: oracle tail of ${expected.length} does not end at bar ${actual.length - 1} when started at ${firstIndex}`);
  for (let i = 0; i < firstIndex; i++) {
    assert.ok(Number.isNaN(actual[i]), `${label}: bar ${i} is in the warm-up (first value at ${firstIndex}) but is ${actual[i]}`);
  }
  let scale = 0;
  for (let j = 0; j < expected.length; j++) scale += Math.abs(Number(expected[j]));
  scale /= Math.max(1, expected.length);
  assert.ok(Number.isFinite(scale), `${label}: the oracle produced a non-finite value`);
  for (let j = 0; j < expected.length; j++) {
    const e = expected[j];
    assert.ok(typeof e === 'number' && Number.isFinite(e), `${label}: oracle value for bar ${firstIndex + j} is ${e}`);
    const a = actual[firstIndex + j]!;
    const err = Math.abs(a - e) / Math.max(Math.abs(e), scale, Number.MIN_VALUE);
    if (!(err <= TOLERANCE)) assert.fail(`${label}: bar ${firstIndex + j}: got ${a}, oracle ${e} (relative error ${err})`);
  }
  assert.ok(expected.length > 0, `${label}: nothing compared`);
}

/** Index of the first non-null entry of a per-bar oracle output (trading-signals' `updates`). */
export function firstNonNull(values: readonly unknown[]): number {
  const i = values.findIndex((v) => v !== null && v !== undefined);
  assert.ok(i >= 0, 'oracle produced no value');
  return i;
}

/** `Array.from` for a typed array, as the oracles take plain arrays. */
export function toArray(values: Float64Array): number[] {
  return Array.from(values);
}
