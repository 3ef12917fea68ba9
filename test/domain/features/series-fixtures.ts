import type { OhlcvSeries } from '../../../src/domain/data/ohlcv.js';

/** 2024-01-01T00:00:00Z, a Monday. */
export const T0 = Date.UTC(2024, 0, 1);
export const HOUR = 3_600_000;

/**
 * A hand-made series: bar i opens at `times[i]` (or `start + i·step`) and has
 * open = high = low = close = closes[i] unless highs/lows are given.
 */
export function makeSeries(opts: {
  timeframe: string;
  closes: readonly number[];
  start?: number;
  stepMs?: number;
  times?: readonly number[];
  symbol?: string;
  highs?: readonly number[];
  lows?: readonly number[];
}): OhlcvSeries {
  const n = opts.closes.length;
  const step = opts.stepMs ?? HOUR;
  const start = opts.start ?? T0;
  const time = opts.times ? Float64Array.from(opts.times) : Float64Array.from({ length: n }, (_, i) => start + i * step);
  const close = Float64Array.from(opts.closes);
  return {
    symbol: opts.symbol ?? 'TEST',
    timeframe: opts.timeframe,
    length: n,
    time,
    open: close.slice(),
    high: opts.highs ? Float64Array.from(opts.highs) : close.slice(),
    low: opts.lows ? Float64Array.from(opts.lows) : close.slice(),
    close,
    volume: new Float64Array(n).fill(1),
  };
}

/** Column `name` of a feature matrix as a plain array, NaN kept. */
export function column(m: { names: readonly string[]; rows: number; cols: number; values: Float32Array }, name: string): number[] {
  const j = m.names.indexOf(name);
  if (j < 0) throw new Error(`no column ${name} in ${m.names.join(', ')}`);
  return Array.from({ length: m.rows }, (_, i) => m.values[i * m.cols + j] as number);
}
