import type { OhlcvSeries } from '../../../src/domain/data/ohlcv.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** 2024-01-01T00:00:00Z */
export const T0 = Date.UTC(2024, 0, 1);

/** Builds a series from [open, high, low, close] rows, bars `stepMs` apart from T0. */
export function seriesOf(rows: readonly (readonly [number, number, number, number])[], timeframe = '1h', stepMs = HOUR_MS): OhlcvSeries {
  const n = rows.length;
  const col = (k: number) => Float64Array.from(rows, (r) => r[k] as number);
  return {
    symbol: 'TEST',
    timeframe,
    length: n,
    time: Float64Array.from({ length: n }, (_, i) => T0 + i * stepMs),
    open: col(0),
    high: col(1),
    low: col(2),
    close: col(3),
    volume: new Float64Array(n).fill(1),
  };
}

/**
 * Probabilities from a signal string: 'B' = BUY 0.8, 'S' = SELL 0.8, '.' = HOLD 0.8,
 * 'n' = NaN row, 'w' = weak BUY (0.45 / 0.30 / 0.25).
 */
export function probsOf(signals: string): Float32Array {
  const p = new Float32Array(signals.length * 3);
  for (let i = 0; i < signals.length; i++) {
    const row: [number, number, number] =
      signals[i] === 'B' ? [0.8, 0.1, 0.1]
      : signals[i] === 'S' ? [0.1, 0.1, 0.8]
      : signals[i] === 'n' ? [NaN, NaN, NaN]
      : signals[i] === 'w' ? [0.45, 0.3, 0.25]
      : [0.1, 0.8, 0.1];
    p.set(row, 3 * i);
  }
  return p;
}

/** Seeded PRNG (mulberry32) so generated data is reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random-walk series and random probability rows of length n. */
export function randomRun(n: number, seed: number): { bars: OhlcvSeries; probabilities: Float32Array } {
  const rnd = mulberry32(seed);
  const rows: [number, number, number, number][] = [];
  let price = 100;
  for (let i = 0; i < n; i++) {
    const o = price;
    const c = o * (1 + (rnd() - 0.5) * 0.02);
    rows.push([o, Math.max(o, c) * (1 + rnd() * 0.005), Math.min(o, c) * (1 - rnd() * 0.005), c]);
    price = c * (1 + (rnd() - 0.5) * 0.002);
  }
  const probabilities = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const a = rnd();
    const b = rnd();
    const c = rnd();
    const s = a + b + c;
    probabilities.set([a / s, b / s, c / s], 3 * i);
  }
  return { bars: seriesOf(rows), probabilities };
}
