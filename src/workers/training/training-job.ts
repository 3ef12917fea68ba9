import { InvalidRequestError } from '../../contracts/errors.js';
import { defineJob } from '../../worker-kit/job.js';
import { loadStrategyOr400 } from '../request-checks.js';
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
  // A 400 before the worker takes the job: exactly one of strategy_name / strategy_yaml, and a
  // name must be a file in this worker's strategies dir.
  validate(p, settings) {
    if ((p.strategy_name === undefined) === (p.strategy_yaml === undefined)) {
      throw InvalidRequestError.field('strategy_name', 'give exactly one of strategy_name or strategy_yaml');
    }
    if (p.strategy_name !== undefined) loadStrategyOr400(p.strategy_name, (settings as { strategiesDir: string }).strategiesDir);
  },
});
