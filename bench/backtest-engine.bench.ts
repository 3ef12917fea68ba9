// Times the backtest engine's bar loop on 1,000,000 synthetic bars (seeded random walk and
// random class probabilities). Run alone: `node --import tsx bench/backtest-engine.bench.ts`.
import { pathToFileURL } from 'node:url';
import type { OhlcvSeries } from '../src/domain/data/ohlcv.js';
import { runBacktestEngine } from '../src/domain/backtest/engine.js';

/** One benchmark figure. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const BARS = 1_000_000;
const HOUR_MS = 3_600_000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded random-walk 1h series (symbol SYNTH). */
export function syntheticBars(n: number, seed: number): OhlcvSeries {
  const rnd = mulberry32(seed);
  const time = new Float64Array(n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  let price = 1.1;
  for (let i = 0; i < n; i++) {
    const o = price;
    const c = o * (1 + (rnd() - 0.5) * 0.004);
    time[i] = Date.UTC(2000, 0, 1) + i * HOUR_MS;
    open[i] = o;
    close[i] = c;
    high[i] = Math.max(o, c) * (1 + rnd() * 0.001);
    low[i] = Math.min(o, c) * (1 - rnd() * 0.001);
    price = c;
  }
  return { symbol: 'SYNTH', timeframe: '1h', length: n, time, open, high, low, close, volume: new Float64Array(n) };
}

/** Random rows; `decisive` sharpens them so roughly that fraction of bars carries a BUY/SELL. */
function syntheticProbabilities(n: number, seed: number, decisive: number): Float32Array {
  const rnd = mulberry32(seed);
  const p = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    const cls = r < decisive / 2 ? 0 : r < decisive ? 2 : 1;
    const a = rnd() * 0.3;
    const b = rnd() * 0.3;
    p[3 * i + cls] = 0.6 + rnd() * 0.3;
    p[3 * i + ((cls + 1) % 3)] = a;
    p[3 * i + ((cls + 2) % 3)] = b;
  }
  return p;
}

function timeRun(bars: OhlcvSeries, probabilities: Float32Array, runs: number): { bestMs: number; trades: number } {
  let bestMs = Number.POSITIVE_INFINITY;
  let trades = 0;
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    const r = runBacktestEngine({ bars, probabilities, onProgress: () => {}, isCancelled: () => false });
    bestMs = Math.min(bestMs, performance.now() - t0);
    trades = r.trades.length;
  }
  return { bestMs, trades };
}

/** Bars per second of a full engine run (bar loop + trade records + metrics), best of 5 after two warm-up runs. */
export async function benchBacktestEngine(): Promise<BenchResult[]> {
  const bars = syntheticBars(BARS, 42);
  const results: BenchResult[] = [];
  // 2 % decisive bars ≈ a realistic strategy (thousands of trades); 30 % stresses trade bookkeeping.
  for (const [label, decisive] of [['sparse signals', 0.02], ['dense signals', 0.3]] as const) {
    const probabilities = syntheticProbabilities(BARS, 7, decisive);
    timeRun(bars, probabilities, 2); // warm-up: let the JIT optimise the loop
    const { bestMs, trades } = timeRun(bars, probabilities, 5);
    results.push({ name: `backtest engine, 1M bars, ${label}`, value: Math.round(BARS / (bestMs / 1000)), unit: 'bars/s' });
    results.push({ name: `backtest engine, 1M bars, ${label}: trades`, value: trades, unit: 'trades' });
  }
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchBacktestEngine()) console.log(`${r.name}: ${r.value.toLocaleString('en-US')} ${r.unit}`);
}
