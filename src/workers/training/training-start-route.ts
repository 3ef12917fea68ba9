import { InvalidRequestError } from '../../contracts/errors.js';
import type { StartRouteSpec } from '../../core/queue/submitter.js';
import { parseStrategyYaml } from '../../domain/strategy/parse-strategy-yaml.js';
import type { StrategyConfig } from '../../domain/strategy/strategy-config.js';
import { FileSha256Cache } from '../../domain/data/file-sha256.js';
import { requiredTimeframes } from '../../domain/features/build-features.js';
import { dataSha256Or400 } from '../artifacts/data-identity.js';
import { loadStrategyOr400, parseDateRange, withTimeframeOr400 } from '../request-checks.js';
import { TrainingStartRequest } from './training-request.js';

export interface TrainingRouteSettings {
  dataDir: string;
  strategiesDir: string;
  /** Hashes of the data files (shared with other routes); one of its own when absent. */
  dataHashes?: FileSha256Cache;
}

/** Backend side of training: validates, then routes GPU workers first (CPU fallback) unless require_gpu. */
export function trainingStartRoute(settings: TrainingRouteSettings): StartRouteSpec<typeof TrainingStartRequest> {
  const hashes = settings.dataHashes ?? new FileSha256Cache();
  return {
    paths: ['/training/start', '/trainings/start'],
    operationType: 'training',
    workerType: 'training',
    workerPath: '/training/start',
    body: TrainingStartRequest,
    summary: 'Train a strategy model on a free training worker (GPU first, CPU fallback)',
    async prepare(body) {
      if ((body.strategy_name === undefined) === (body.strategy_yaml === undefined)) {
        throw InvalidRequestError.field('strategy_name', 'give exactly one of strategy_name or strategy_yaml');
      }
      let strategy: StrategyConfig;
      if (body.strategy_yaml !== undefined) {
        try {
          strategy = parseStrategyYaml(body.strategy_yaml, 'strategy_yaml');
        } catch (err) {
          const e = err as Error & { issues?: { path: string; message: string }[] };
          throw new InvalidRequestError(
            e.issues?.map((i) => ({ path: `strategy_yaml: ${i.path}`, message: i.message })) ?? [{ path: 'strategy_yaml', message: e.message }],
          );
        }
      } else {
        strategy = loadStrategyOr400(body.strategy_name!, settings.strategiesDir);
      }
      const timeframe = body.timeframes?.[0] ?? strategy.training_data.timeframes.base_timeframe;
      const effective = withTimeframeOr400(strategy, timeframe);
      if (effective.decisions.mode === 'rules' && body.force !== true) {
        throw InvalidRequestError.field(
          'strategy_name',
          `'${strategy.name}' is a rules-mode strategy: its backtests use its fuzzy rules, not a model, so training it has no effect on them; set decisions.mode: neural, or pass force (--force) to train anyway`,
        );
      }
      if (body.start_date !== undefined && body.end_date !== undefined) parseDateRange(body.start_date, body.end_date);
      const symbols = body.symbols ?? [...strategy.training_data.symbols.symbols];
      // Pins each CSV by hash (the worker fetches what it lacks and checks the dates: no CSV is
      // parsed here).
      const dataSha256: Record<string, string> = {};
      for (const symbol of symbols) Object.assign(dataSha256, await dataSha256Or400(hashes, settings.dataDir, symbol, requiredTimeframes(effective)));
      const { prefer_gpu, require_gpu, force: _force, data_sha256: _d, ...rest } = body;
      const payload = { ...rest, data_sha256: dataSha256 };
      return {
        metadata: {
          symbol: symbols.join(','),
          timeframe,
          start_date: body.start_date ?? null,
          end_date: body.end_date ?? null,
          parameters: { strategy_name: strategy.name, symbols, prefer_gpu: prefer_gpu ?? true, require_gpu: require_gpu ?? false },
        },
        payload,
        selection: { preferGpu: prefer_gpu ?? true, requireGpu: require_gpu ?? false },
      };
    },
  };
}
