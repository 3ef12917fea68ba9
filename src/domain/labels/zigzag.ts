import { TradeLabel } from './trade-label.js';

/** Parameters of {@link zigzagLabels}. */
export interface ZigzagLabelOptions {
  /**
   * Minimum relative move that counts as a swing, as a fraction of the bar's close
   * (0.005 = 0.5 %). Must be > 0.
   */
  readonly threshold: number;
  /** How many following bars may be inspected to find the move. Integer ≥ 1. */
  readonly lookahead: number;
}

/**
 * Labels every bar BUY / HOLD / SELL by the first threshold-sized move that follows it
 * ("first touch" of a symmetric barrier):
 *
 * for bar `i` with close `c = close[i]`, scan `j = i+1 … min(i+lookahead, n-1)` in order;
 * - the first `j` with `close[j] ≥ c·(1+threshold)` makes bar `i` **BUY**,
 * - the first `j` with `close[j] ≤ c·(1-threshold)` makes bar `i` **SELL**,
 * - whichever comes first wins; if neither happens inside the window, bar `i` is **HOLD**.
 *
 * Only closes are used and nothing beyond `lookahead` bars is ever read. The last `lookahead`
 * bars see a truncated window, so a HOLD there may just mean "not known yet"; callers that
 * train on these labels should drop (or mask) them. Bars whose own close is not finite are
 * HOLD; non-finite future closes are skipped.
 *
 * @returns one {@link TradeLabel} per bar (`Uint8Array` of length `close.length`).
 * @throws RangeError when `threshold` is not a positive finite number or `lookahead` is not a
 *   positive integer.
 */
export function zigzagLabels(close: Float64Array, options: ZigzagLabelOptions): Uint8Array {
  const { threshold, lookahead } = options;
  if (!(Number.isFinite(threshold) && threshold > 0)) {
    throw new RangeError(`zigzag threshold must be a positive fraction, got ${threshold}`);
  }
  if (!(Number.isInteger(lookahead) && lookahead >= 1)) {
    throw new RangeError(`zigzag lookahead must be a positive integer, got ${lookahead}`);
  }
  const n = close.length;
  const labels = new Uint8Array(n).fill(TradeLabel.HOLD);
  for (let i = 0; i < n; i++) {
    const c = close[i] as number;
    if (!Number.isFinite(c)) continue;
    const up = c * (1 + threshold);
    const down = c * (1 - threshold);
    const end = Math.min(i + lookahead, n - 1);
    for (let j = i + 1; j <= end; j++) {
      const p = close[j] as number;
      // NaN compares false on both sides, so a gap in the data is simply skipped.
      if (p >= up) {
        labels[i] = TradeLabel.BUY;
        break;
      }
      if (p <= down) {
        labels[i] = TradeLabel.SELL;
        break;
      }
    }
  }
  return labels;
}
