/** Thread entry of a training run. */
import type { JobOutput, ThreadJobContext } from '../../worker-kit/job.js';
import { runStrategyTraining } from '../../domain/pipeline/run-strategy-training.js';
import { resolveTrainingStrategy } from './resolve-training-strategy.js';
import type { TrainingStartRequest } from './training-request.js';

export async function run(params: TrainingStartRequest, ctx: ThreadJobContext): Promise<JobOutput> {
  const s = ctx.settings as { dataDir: string; modelsDir: string; strategiesDir: string };
  const named = resolveTrainingStrategy(params, s.strategiesDir);
  const strategy = params.seed === undefined ? named : { ...named, training: { ...named.training, seed: params.seed } };
  const out = await runStrategyTraining(
    {
      strategy,
      dataDir: s.dataDir,
      modelsDir: s.modelsDir,
      symbols: params.symbols ?? strategy.training_data.symbols.symbols,
      timeframe: params.timeframes?.[0],
      startDate: params.start_date,
      endDate: params.end_date,
    },
    { progress: (u) => ctx.progress(u), isCancelled: () => ctx.isCancelled(), metric: (m) => ctx.metric(m) },
  );
  ctx.throwIfCancelled();
  return out!;
}
