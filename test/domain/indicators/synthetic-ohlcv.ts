import type { OhlcvSeries } from '../../../src/domain/data/ohlcv.js';

/** Options for {@link syntheticOhlcv}. */
export interface SyntheticOhlcvOptions {
  /** Prices are rounded to multiples of this (creates equal closes, equal highs, ties). Unset = no rounding. */
  readonly tick?: number;
  /** Price of the first bar. @defaultValue 100 */
  readonly startPrice?: number;
  /** Sd of log returns per bar. @defaultValue 0.01 */
  readonly volatility?: number;
}

/**
 * Deterministic pseudo-random OHLCV bars for oracle tests: a geometric random walk whose bars
 * always satisfy low <= min(open, close) <= max(open, close) <= high, with positive volume.
 * Uses its own mulberry32 generator so the tests do not depend on the code under test.
 */
export function syntheticOhlcv(length: number, seed: number, options: SyntheticOhlcvOptions = {}): OhlcvSeries {
  const random = mulberry32(seed);
  const normal = (): number => {
    // Box-Muller; 1 - u keeps the log argument in (0, 1].
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const vol = options.volatility ?? 0.01;
  const round = options.tick === undefined ? (x: number) => x : (x: number) => Math.round(x / options.tick!) * options.tick!;
  const time = new Float64Array(length);
  const open = new Float64Array(length);
  const high = new Float64Array(length);
  const low = new Float64Array(length);
  const close = new Float64Array(length);
  const volume = new Float64Array(length);
  let price = options.startPrice ?? 100;
  for (let i = 0; i < length; i++) {
    const o = round(price * Math.exp(0.2 * vol * normal()));
    const c = round(o * Math.exp(vol * normal()));
    const h = round(Math.max(o, c) * Math.exp(0.5 * vol * Math.abs(normal())));
    const l = round(Math.min(o, c) * Math.exp(-0.5 * vol * Math.abs(normal())));
    time[i] = Date.UTC(2020, 0, 1) + i * 3_600_000;
    open[i] = o;
    high[i] = Math.max(h, o, c);
    low[i] = Math.min(l, o, c);
    close[i] = c;
    volume[i] = Math.round(500 + 4500 * random());
    price = c;
  }
  return { symbol: 'TEST', timeframe: '1h', length, time, open, high, low, close, volume };
}

/** A series whose every price is `price` and every volume `volume`. */
export function constantOhlcv(length: number, price: number, volume = 1000): OhlcvSeries {
  const col = (v: number) => new Float64Array(length).fill(v);
  const time = new Float64Array(length);
  for (let i = 0; i < length; i++) time[i] = Date.UTC(2020, 0, 1) + i * 3_600_000;
  return { symbol: 'FLAT', timeframe: '1h', length, time, open: col(price), high: col(price), low: col(price), close: col(price), volume: col(volume) };
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
