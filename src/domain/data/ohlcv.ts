/**
 * One symbol's OHLCV bars at one timeframe, column-oriented so indicators and the backtest
 * engine can run over whole typed arrays.
 *
 * `time[i]` is the bar's OPEN time in epoch milliseconds (UTC), strictly increasing.
 * The bar closes at `time[i] + timeframeToMs(timeframe)`; nothing about bar i is known before then.
 */
export interface OhlcvSeries {
  readonly symbol: string;
  readonly timeframe: string;
  readonly length: number;
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}
