import { defineJob } from '../../worker-kit/job.js';
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
});
