/**
 * The neural network's (or the rules mode's) input for every bar of the base timeframe.
 * Produced by the feature builder from a strategy + OHLCV data; consumed by training and by the
 * backtest engine, so both see exactly the same features.
 */
export interface FeatureMatrix {
  /** Ordered feature names `{tf}_{fuzzy_set}_{set}`; column j of `values` is `names[j]`. */
  readonly names: readonly string[];
  /** Number of rows = number of base-timeframe bars. */
  readonly rows: number;
  /** Number of columns = names.length. */
  readonly cols: number;
  /** Row-major rows × cols memberships in [0, 1]; NaN where an input is still warming up. */
  readonly values: Float32Array;
  /** Open time (epoch ms) of each base bar; same length as rows. */
  readonly time: Float64Array;
  /** First row index from which every column is finite (warm-up done); rows if never. */
  readonly validFrom: number;
}
