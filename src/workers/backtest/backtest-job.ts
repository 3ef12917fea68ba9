import { InvalidRequestError } from '../../contracts/errors.js';
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
    // The uploaded YAML can be large: the operation record keeps its name, not the text.
    parameters: (({ strategy_yaml, ...rest }) =>
      strategy_yaml === undefined
        ? rest
        : { ...rest, strategy_name: /^name:\s*["']?([A-Za-z0-9_.-]+)/m.exec(strategy_yaml)?.[1] ?? null, strategy_source: 'strategy_yaml' })(p),
  }),
  // A 400 for what the schema cannot see, before the worker takes the job: the strategy is a
  // file in this worker's strategies dir and the model reference a folder in its models dir.
  async validate(p, settings) {
    const s = settings as { strategiesDir: string; modelsDir: string };
    if (p.strategy_name !== undefined) loadStrategyOr400(p.strategy_name, s.strategiesDir);
    if (p.model_path !== undefined) {
      try {
        await resolveModelRef(s.modelsDir, p.model_path);
      } catch (err) {
        throw InvalidRequestError.field('model_path', (err as Error).message);
      }
    }
  },
});
