/**
 * An indicator as written in a strategy's `indicators:` map (the map key is the indicator id):
 * `{ type: 'rsi', period: 14, source: 'close' }`. Parameter names follow KTRDR:
 * period, source, fast_period, slow_period, signal_period, multiplier (std devs for Bollinger),
 * k_period, d_period, smooth_k.
 */
export interface IndicatorSpec {
  readonly type: string;
  readonly [param: string]: unknown;
}

/**
 * Named output arrays, each as long as the input series. Warm-up bars are NaN.
 * Single-output indicators use the key `value`; multi-output ones use their output names
 * (e.g. macd → macd, signal, histogram), selected in strategies with dot notation (`macd_12.signal`).
 */
export type IndicatorOutputs = Record<string, Float64Array>;
