import { TrainingInputError } from './training-input-error.js';

/** Fractions of the usable rows for each split; they must sum to 1 (±0.001). */
export interface SplitFractions {
  readonly train: number;
  readonly validation: number;
  readonly test: number;
}

/** Row indices of each split, each in chronological (ascending) order. */
export interface ChronologicalSplit {
  readonly train: Int32Array;
  readonly validation: Int32Array;
  readonly test: Int32Array;
}

/**
 * Splits rows by time: the oldest `train` fraction trains, the next `validation` fraction
 * validates, the newest `test` fraction tests. Rows never cross a boundary, so no future bar
 * leaks into an earlier split through shuffling.
 *
 * Sizes: `round(n·train)` and `round(n·validation)` rows, test gets the rest.
 * `gapRows` rows are then dropped at the start of validation and of test (a purge gap): labels
 * look ahead, so the last training label may depend on prices inside the validation period;
 * a gap of `lookahead` rows removes that overlap.
 *
 * @param rows usable row indices in ascending time order.
 * @throws TrainingInputError on invalid fractions or when the train split would be empty.
 */
export function splitChronologically(
  rows: Int32Array,
  fractions: SplitFractions,
  gapRows = 0,
): ChronologicalSplit {
  const { train, validation, test } = fractions;
  for (const [name, f] of Object.entries({ train, validation, test })) {
    if (!(Number.isFinite(f) && f >= 0 && f <= 1)) {
      throw new TrainingInputError(`data_split.${name} must be a fraction in [0, 1], got ${f}`);
    }
  }
  if (Math.abs(train + validation + test - 1) > 1e-3) {
    throw new TrainingInputError(
      `data_split fractions must sum to 1, got ${train} + ${validation} + ${test} = ${train + validation + test}`,
    );
  }
  if (!(Number.isInteger(gapRows) && gapRows >= 0)) {
    throw new TrainingInputError(`split gap must be a non-negative integer, got ${gapRows}`);
  }
  const n = rows.length;
  const nTrain = Math.round(n * train);
  const nVal = Math.min(n - nTrain, Math.round(n * validation));
  if (nTrain === 0) {
    throw new TrainingInputError(`the train split is empty (${n} usable rows × ${train})`);
  }
  const valStart = nTrain;
  const testStart = nTrain + nVal;
  return {
    train: rows.subarray(0, nTrain),
    validation: rows.subarray(Math.min(valStart + gapRows, testStart), testStart),
    test: rows.subarray(Math.min(testStart + gapRows, n), n),
  };
}

/**
 * {@link splitChronologically} for rows of several symbols stacked one after the other: the rows
 * are ordered by `times[row]` (stably), and every boundary is moved forward to the next change of
 * time, so all symbols' rows of one bar time fall in the same split and no symbol's future trains
 * while another symbol's past tests. The purge gap counts distinct bar times, not rows.
 *
 * @param times bar time per row of the full matrix (indexed by row number).
 */
export function splitChronologicallyByTime(
  rows: Int32Array,
  times: ArrayLike<number>,
  fractions: SplitFractions,
  gapSteps = 0,
): ChronologicalSplit {
  // Validate with the plain split first (same messages), then lay the boundaries on times.
  splitChronologically(rows, fractions, gapSteps);
  const sorted = Int32Array.from(rows).sort();
  const order = Array.from(sorted).sort((a, b) => (times[a] as number) - (times[b] as number) || a - b);
  const ordered = Int32Array.from(order);
  const n = ordered.length;
  const timeAt = (i: number) => times[ordered[i] as number] as number;
  const snap = (i: number) => {
    let j = Math.min(n, Math.max(0, i));
    while (j > 0 && j < n && timeAt(j) === timeAt(j - 1)) j++;
    return j;
  };
  const skipSteps = (from: number, to: number) => {
    let i = from;
    for (let step = 0; step < gapSteps && i < to; step++) {
      const t = timeAt(i);
      while (i < to && timeAt(i) === t) i++;
    }
    return i;
  };
  const trainEnd = snap(Math.round(n * fractions.train));
  const valEnd = Math.max(trainEnd, snap(trainEnd + Math.round(n * fractions.validation)));
  if (trainEnd === 0) throw new TrainingInputError(`the train split is empty (${n} usable rows × ${fractions.train})`);
  return {
    train: ordered.subarray(0, trainEnd),
    validation: ordered.subarray(skipSteps(trainEnd, valEnd), valEnd),
    test: ordered.subarray(skipSteps(valEnd, n), n),
  };
}
