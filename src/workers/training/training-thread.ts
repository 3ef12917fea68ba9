/** Thread entry of a training run. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobOutput, ThreadJobContext } from '../../worker-kit/job.js';
import { runStrategyTraining } from '../../domain/pipeline/run-strategy-training.js';
import { WorkerArtifacts, type WorkerArtifactSettings } from '../artifacts/worker-artifacts.js';
import { resolveTrainingStrategy } from './resolve-training-strategy.js';
import type { TrainingStartRequest } from './training-request.js';

/** The job's definition, so that a job thread can run its validate hook before it starts a handed-over training itself. */
export { trainingJob as definition } from './training-job.js';

export async function run(params: TrainingStartRequest, ctx: ThreadJobContext): Promise<JobOutput> {
  const s = ctx.settings as unknown as WorkerArtifactSettings & { strategiesDir: string };
  const named = resolveTrainingStrategy(params, s.strategiesDir);
  const strategy = params.seed === undefined ? named : { ...named, training: { ...named.training, seed: params.seed } };
  // The bundle is saved into a staging folder, then published: uploaded to the backend, which
  // numbers the version (two training hosts never hand out the same one) and serves it to every
  // worker, and installed under that reference in this host's models dir.
  const staging = await mkdtemp(join(tmpdir(), 'ktrdr-train-'));
  try {
    const out = await runStrategyTraining(
      {
        strategy,
        dataDir: s.dataDir,
        modelsDir: staging,
        symbols: params.symbols ?? strategy.training_data.symbols.symbols,
        timeframe: params.timeframes?.[0],
        startDate: params.start_date,
        endDate: params.end_date,
      },
      { progress: (u) => ctx.progress(u), isCancelled: () => ctx.isCancelled(), metric: (m) => ctx.metric(m) },
    );
    ctx.throwIfCancelled();
    const staged = String(out!.summary['model_path']);
    const timeframe = String(out!.summary['timeframe']);
    ctx.progress({ percentage: 98, current_step: 'Publishing model' });
    const published = await new WorkerArtifacts(s).publishModel(join(staging, ...staged.split('/')), staged.split('/')[0]!, timeframe, () => ctx.isCancelled());
    if (published.uploadError !== undefined) ctx.log('model kept on this host only: the backend did not take it', { error: published.uploadError });
    return {
      summary: {
        ...out!.summary,
        model_path: published.ref,
        model_version: published.version,
        model_sha256: published.sha256,
        ...(published.uploadError !== undefined ? { model_upload_error: published.uploadError } : {}),
      },
      artifact: { ...(out!.artifact as Record<string, unknown>), model_path: published.ref, model_sha256: published.sha256 },
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
