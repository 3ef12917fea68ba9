import { InvalidRequestError } from '../../contracts/errors.js';
import { defineJob } from '../../worker-kit/job.js';
import { ensureRequestData } from '../artifacts/ensure-request-data.js';
import { workerArtifactsFor } from '../artifacts/worker-artifacts.js';
import { loadStrategyOr400, withTimeframeOr400 } from '../request-checks.js';
import { resolveTrainingStrategy } from './resolve-training-strategy.js';
import { TrainingStartRequest } from './training-request.js';

/** The training worker's only job: `POST /training/start`. */
export const trainingJob = defineJob({
  domain: 'training',
  operationType: 'training',
  params: TrainingStartRequest,
  module: new URL('./training-thread.js', import.meta.url),
  describe: (p) => ({
    symbol: p.symbols?.join(',') ?? null,
    timeframe: p.timeframes?.[0] ?? null,
    start_date: p.start_date ?? null,
    end_date: p.end_date ?? null,
    parameters: { strategy_name: p.strategy_name ?? null, symbols: p.symbols ?? null },
  }),
  // A 400 before the worker takes the job: exactly one of strategy_name / strategy_yaml, a name
  // must be a file in this worker's strategies dir, the CSVs are this host's copies of what the
  // backend checked (fetched when missing or different) and they cover the dates.
  async validate(p, settings) {
    if ((p.strategy_name === undefined) === (p.strategy_yaml === undefined)) {
      throw InvalidRequestError.field('strategy_name', 'give exactly one of strategy_name or strategy_yaml');
    }
    const strategy = strategyOr400(p, (settings as { strategiesDir: string }).strategiesDir);
    const artifacts = workerArtifactsFor(settings);
    await ensureRequestData(artifacts, p.data_sha256);
    const effective = withTimeframeOr400(strategy, p.timeframes?.[0] ?? strategy.training_data.timeframes.base_timeframe);
    for (const symbol of p.symbols ?? strategy.training_data.symbols.symbols) {
      await artifacts.checkCoverage(effective, symbol, p.start_date, p.end_date);
    }
  },
});

function strategyOr400(p: TrainingStartRequest, strategiesDir: string) {
  if (p.strategy_name !== undefined) return loadStrategyOr400(p.strategy_name, strategiesDir);
  try {
    return resolveTrainingStrategy(p, strategiesDir);
  } catch (err) {
    throw InvalidRequestError.field('strategy_yaml', (err as Error).message);
  }
}
