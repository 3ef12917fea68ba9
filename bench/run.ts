/**
 * `npm run bench`: every benchmark, numbers and ratios against the targets.
 * `npm run bench -- [section words…] [--jobs N] [--workers N] [--sleep-ms N] [--idle N] [--poll-seconds N]`:
 * only the sections whose title contains a word; the flags scale the cluster bench (default 1,000 jobs on 4 workers),
 * `--bars N --runs N` the results bench (default 1,000,000 bars, 20 runs; `npm run bench -- results`).
 */
import { parseArgs } from 'node:util';
import { benchCluster, type BenchResult } from './cluster.bench.js';
import { benchCore } from './core.bench.js';
import { benchBacktestEngine } from './backtest-engine.bench.js';
import { benchBacktestPipeline } from './backtest-pipeline.bench.js';
import { benchResults } from './results.bench.js';
import { benchTraining } from './training.bench.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    jobs: { type: 'string' },
    workers: { type: 'string' },
    'sleep-ms': { type: 'string' },
    idle: { type: 'string' },
    'poll-seconds': { type: 'string' },
    bars: { type: 'string' },
    runs: { type: 'string' },
  },
});
const int = (flag: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag} must be a non-negative integer, got ${v}`);
  return n;
};
const cluster = {
  ...(int('jobs', values.jobs) === undefined ? {} : { jobs: int('jobs', values.jobs)! }),
  ...(int('workers', values.workers) === undefined ? {} : { workers: int('workers', values.workers)! }),
  ...(int('sleep-ms', values['sleep-ms']) === undefined ? {} : { sleepMs: int('sleep-ms', values['sleep-ms'])! }),
  ...(int('idle', values.idle) === undefined ? {} : { idle: int('idle', values.idle)! }),
  ...(int('poll-seconds', values['poll-seconds']) === undefined ? {} : { pollSeconds: int('poll-seconds', values['poll-seconds'])! }),
};

const sections: [string, () => Promise<BenchResult[]>][] = [
  ['cluster (backend + workers as processes, side by side with BullMQ)', () => benchCluster(cluster)],
  ['core (health checks)', benchCore],
  ['backtest engine (1M bars)', benchBacktestEngine],
  ['backtest pipeline (1M bars: features, inference, bar loop)', benchBacktestPipeline],
  ['training (50k × 40, MLP [64,32])', benchTraining],
  [
    'results (1M bars through backend + worker processes vs in process; worker RSS over 20 runs)',
    () => benchResults({ ...(int('bars', values.bars) === undefined ? {} : { bars: int('bars', values.bars)! }), ...(int('runs', values.runs) === undefined ? {} : { runs: int('runs', values.runs)! }) }),
  ],
];
for (const [title, fn] of sections) {
  if (positionals.length > 0 && !positionals.some((o) => title.includes(o))) continue;
  console.log(`\n== ${title}`);
  for (const r of await fn()) {
    const shown = r.note ?? `${r.value.toFixed(Math.abs(r.value) < 10 ? 3 : 1).padStart(14)} ${r.unit}`;
    console.log(`  ${r.name.padEnd(96)} ${shown}`);
  }
}
