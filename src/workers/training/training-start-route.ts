import { InvalidRequestError } from '../../contracts/errors.js';
import type { StartRouteSpec } from '../../core/queue/submitter.js';
import { parseStrategyYaml } from '../../domain/strategy/parse-strategy-yaml.js';
import type { StrategyConfig } from '../../domain/strategy/strategy-config.js';
import { checkDataCoverage, loadStrategyOr400, parseDateRange, withTimeframeOr400 } from '../request-checks.js';
import { TrainingStartRequest } from './training-request.js';

export interface TrainingRouteSettings {
  dataDir: string;
  strategiesDir: string;
}

/** Backend side of training: validates, then routes GPU workers first (CPU fallback) unless require_gpu. */
export function trainingStartRoute(settings: TrainingRouteSettings): StartRouteSpec<typeof TrainingStartRequest> {
  return {
    paths: ['/training/start', '/trainings/start'],
    operationType: 'training',
    workerType: 'training',
    workerPath: '/training/start',
    body: TrainingStartRequest,
    summary: 'Train a strategy model on a free training worker (GPU first, CPU fallback)',
    prepare(body) {
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
      for (const symbol of symbols) checkDataCoverage(effective, settings.dataDir, symbol, body.start_date, body.end_date);
      const { prefer_gpu, require_gpu, force: _force, ...payload } = body;
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
