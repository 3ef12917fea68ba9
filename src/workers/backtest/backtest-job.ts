import { InvalidRequestError } from '../../core/errors.js';
import { resolveModelRef } from '../../domain/model/model-ref.js';
import { defineJob } from '../../worker-kit/job.js';
import { loadStrategyOr400 } from '../request-checks.js';
import { BacktestStartRequest } from './backtest-request.js';

/** The backtest worker's only job: `POST /backtests/start`. */
export const backtestJob = defineJob({
  domain: 'backtests',
  operationType: 'backtesting',
  params: BacktestStartRequest,
  module: new URL('./backtest-thread.js', import.meta.url),
  describe: (p) => ({
    symbol: p.symbol ?? null,
    timeframe: p.timeframe ?? null,
    start_date: p.start_date,
    end_date: p.end_date,
    parameters: { ...p },
  }),
  // A 400 for what the schema cannot see, before the worker takes the job: the strategy is a
  // file in this worker's strategies dir and the model reference a folder in its models dir.
  async validate(p, settings) {
    const s = settings as { strategiesDir: string; modelsDir: string };
    loadStrategyOr400(p.strategy_name, s.strategiesDir);
    if (p.model_path !== undefined) {
      try {
        await resolveModelRef(s.modelsDir, p.model_path);
      } catch (err) {
        throw InvalidRequestError.field('model_path', (err as Error).message);
      }
    }
  },
});
