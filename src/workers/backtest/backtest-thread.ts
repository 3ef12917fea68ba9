/** Thread entry of a backtest: runs the whole pipeline off the worker's HTTP thread. */
import type { JobOutput, ThreadJobContext } from '../../worker-kit/job.js';
import { runStrategyBacktest } from '../../domain/pipeline/run-strategy-backtest.js';
import { loadStrategyByName } from '../../domain/strategy/load-strategy.js';
import { parseStrategyYaml } from '../../domain/strategy/parse-strategy-yaml.js';
import type { BacktestStartRequest } from './backtest-request.js';

/** The job's definition, so that a job thread can run its validate hook before it starts a handed-over backtest itself. */
export { backtestJob as definition } from './backtest-job.js';

export async function run(params: BacktestStartRequest, ctx: ThreadJobContext): Promise<JobOutput> {
  const s = ctx.settings as { dataDir: string; modelsDir: string; strategiesDir: string };
  const strategy =
    params.strategy_yaml !== undefined
      ? parseStrategyYaml(params.strategy_yaml, 'strategy_yaml')
      : loadStrategyByName(params.strategy_name ?? '', s.strategiesDir);
  const out = await runStrategyBacktest(
    {
      strategy,
      dataDir: s.dataDir,
      modelsDir: s.modelsDir,
      symbol: params.symbol ?? strategy.training_data.symbols.symbols[0]!,
      timeframe: params.timeframe ?? strategy.training_data.timeframes.base_timeframe,
      startDate: params.start_date,
      endDate: params.end_date,
      initialCapital: params.initial_capital,
      overrides: {
        commission: params.commission,
        slippage: params.slippage,
        fee_per_trade: params.fee_per_trade,
        allow_short: params.allow_short,
        on_opposite_signal: params.on_opposite_signal,
        position_size: params.position_size,
        position_units: params.position_units,
        min_signal_separation: params.min_signal_separation,
      },
      modelPath: params.model_path,
    },
    { progress: (u) => ctx.progress(u), isCancelled: () => ctx.isCancelled() },
  );
  ctx.throwIfCancelled();
  return out!;
}
