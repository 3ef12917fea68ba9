import { defineJob } from '../../worker-kit/job.js';
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
});
