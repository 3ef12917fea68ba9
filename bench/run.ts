/** `npm run bench`: every benchmark, numbers and ratios against the targets. */
import { benchCore } from './core.bench.js';
import { benchBacktestEngine } from './backtest-engine.bench.js';
import { benchBacktestPipeline } from './backtest-pipeline.bench.js';
import { benchTraining } from './training.bench.js';

const sections: [string, () => Promise<{ name: string; value: number; unit: string }[]>][] = [
  ['core (dispatch, status cache, health checks)', benchCore],
  ['backtest engine (1M bars)', benchBacktestEngine],
  ['backtest pipeline (1M bars: features, inference, bar loop)', benchBacktestPipeline],
  ['training (50k × 40, MLP [64,32])', benchTraining],
];
const only = process.argv.slice(2);
for (const [title, fn] of sections) {
  if (only.length > 0 && !only.some((o) => title.includes(o))) continue;
  console.log(`\n== ${title}`);
  for (const r of await fn()) console.log(`  ${r.name.padEnd(56)} ${r.value.toFixed(r.value < 10 ? 3 : 1).padStart(14)} ${r.unit}`);
}
