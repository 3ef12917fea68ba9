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
    parameters: { ...p },
  }),
});
