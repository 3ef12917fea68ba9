/**
 * End-to-end backtest throughput on 1M synthetic 1h bars, split into features, inference and the
 * bar loop: rules mode (rsi_reversion_rules) and neural mode (rsi_macd_1h's features through an
 * untrained [64,32] MLP — inference cost does not depend on the weights).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runBacktestEngine } from '../src/domain/backtest/engine.js';
import { loadOhlcv } from '../src/domain/data/ohlcv-loader.js';
import { buildFeatures } from '../src/domain/features/build-features.js';
import { ruleProbabilities } from '../src/domain/features/rules.js';
import { buildMlp } from '../src/domain/model/mlp.js';
import { predictProbabilities } from '../src/domain/model/predict-probabilities.js';
import { initTensorflow } from '../src/domain/model/tf-backend.js';
import { loadStrategy } from '../src/domain/strategy/load-strategy.js';
import type { StrategyConfig } from '../src/domain/strategy/strategy-config.js';
import { syntheticBars, type BenchResult } from './backtest-engine.bench.js';

const BARS = 1_000_000;
/** Run from the repository root (npm run bench does). */
const strategiesDir = resolve('strategies');

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const v = fn();
  return [v, (performance.now() - t0) / 1000];
}

export async function benchBacktestPipeline(): Promise<BenchResult[]> {
  const bars = { ...syntheticBars(BARS, 7), symbol: 'EURUSD' };
  const out: BenchResult[] = [];
  // The shipped 1h CSV (~37k rows), parsed: what a worker pays per backtest before the engine runs.
  const dataDir = resolve('data');
  loadOhlcv({ dataDir, symbol: 'GBPUSD', timeframe: '1h' }); // warm-up
  const [loaded, tLoad] = time(() => loadOhlcv({ dataDir, symbol: 'EURUSD', timeframe: '1h' }));
  out.push({ name: `load the shipped EURUSD 1h CSV (${loaded.length.toLocaleString('en-US')} rows)`, value: tLoad * 1000, unit: 'ms' });
  const run = async (label: string, strategy: StrategyConfig, infer: (f: ReturnType<typeof buildFeatures>) => Promise<Float32Array>) => {
    const [features, tFeatures] = time(() => buildFeatures(strategy, { '1h': bars }));
    const t1 = performance.now();
    const probabilities = await infer(features);
    const tInfer = (performance.now() - t1) / 1000;
    const [, tLoop] = time(() =>
      runBacktestEngine({ bars, probabilities, config: { startIndex: features.validFrom, confidenceThreshold: 0.4 } }),
    );
    const total = tFeatures + tInfer + tLoop;
    out.push(
      { name: `${label}: features`, value: tFeatures * 1000, unit: 'ms' },
      { name: `${label}: inference`, value: tInfer * 1000, unit: 'ms' },
      { name: `${label}: bar loop`, value: tLoop * 1000, unit: 'ms' },
      { name: `${label}: end-to-end`, value: BARS / total, unit: 'bars/s' },
    );
  };
  const rules = loadStrategy('rsi_reversion_rules', strategiesDir);
  await run('rules mode', rules, async (f) => ruleProbabilities(rules, f));
  await run('rules mode', rules, async (f) => ruleProbabilities(rules, f)); // warm run reported last
  const neural = loadStrategy('rsi_macd_1h', strategiesDir);
  const { tf, backend } = await initTensorflow('auto');
  const cols = buildFeatures(neural, { '1h': { ...syntheticBars(1000, 1), symbol: 'EURUSD' } }).cols;
  const model = buildMlp(tf, { hiddenLayers: [64, 32], activation: 'relu', dropout: 0 }, { inputSize: cols });
  await run(`MLP [64,32] (${backend})`, neural, async (f) => predictProbabilities(tf, model, f.values, f.rows, f.cols));
  model.dispose();
  // Keep the warm rules-mode run and the neural run.
  return out.slice(4);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchBacktestPipeline()) console.log(`${r.name.padEnd(40)} ${r.value.toFixed(1).padStart(12)} ${r.unit}`);
}
