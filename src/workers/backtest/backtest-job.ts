import { InvalidRequestError } from '../../contracts/errors.js';
import { resolveModelRef } from '../../domain/model/model-ref.js';
import { defineJob } from '../../worker-kit/job.js';
import { parseStrategyYaml } from '../../domain/strategy/parse-strategy-yaml.js';
import { ensureRequestData } from '../artifacts/ensure-request-data.js';
import { workerArtifactsFor } from '../artifacts/worker-artifacts.js';
import { loadStrategyOr400, withTimeframeOr400 } from '../request-checks.js';
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
  // file in this worker's strategies dir; the CSVs and the model are this host's copies of what
  // the backend checked (by hash), fetched from the backend when missing or different; the data
  // covers the dates (the backend no longer reads CSVs for this).
  async validate(p, settings) {
    const s = settings as { strategiesDir: string; modelsDir: string };
    const artifacts = workerArtifactsFor(settings);
    const named = p.strategy_name !== undefined ? loadStrategyOr400(p.strategy_name, s.strategiesDir) : undefined;
    await ensureRequestData(artifacts, p.data_sha256);
    const strategy = named ?? (p.strategy_yaml !== undefined ? strategyYamlOrUndefined(p.strategy_yaml) : undefined);
    if (strategy !== undefined) {
      const timeframe = p.timeframe ?? strategy.training_data.timeframes.base_timeframe;
      const symbol = p.symbol ?? strategy.training_data.symbols.symbols[0]!;
      await artifacts.checkCoverage(withTimeframeOr400(strategy, timeframe), symbol, p.start_date, p.end_date);
    }
    if (p.model_path !== undefined) {
      try {
        if (p.model_sha256 !== undefined) await artifacts.ensureModel(p.model_path, p.model_sha256);
        await resolveModelRef(s.modelsDir, p.model_path);
      } catch (err) {
        if (err instanceof InvalidRequestError) throw err;
        if (err instanceof RangeError || (err as { code?: string }).code === 'MODEL_BUNDLE_NOT_FOUND') {
          throw InvalidRequestError.field('model_path', (err as Error).message);
        }
        throw err;
      }
    }
  },
});

/** The strategy a YAML carries; undefined when invalid (the thread reports that as it always did). */
function strategyYamlOrUndefined(yaml: string) {
  try {
    return parseStrategyYaml(yaml, 'strategy_yaml');
  } catch {
    return undefined;
  }
}
