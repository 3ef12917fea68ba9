import { InvalidRequestError } from '../../contracts/errors.js';
import type { StartRouteSpec } from '../../core/queue/submitter.js';
import { FileSha256Cache } from '../../domain/data/file-sha256.js';
import { requiredTimeframes } from '../../domain/features/build-features.js';
import { bundleDirSha256 } from '../../domain/model/bundle-archive.js';
import { resolveModelPath } from '../../domain/pipeline/run-strategy-backtest.js';
import { dataSha256Or400 } from '../artifacts/data-identity.js';
import type { ModelStore } from '../artifacts/model-store.js';
import { parseDateRange, strategyFromRequestOr400, withTimeframeOr400 } from '../request-checks.js';
import type { StrategyConfig } from '../../domain/strategy/strategy-config.js';
import { BacktestStartRequest } from './backtest-request.js';

export interface BacktestRouteSettings {
  dataDir: string;
  strategiesDir: string;
  modelsDir: string;
  /** Hashes of the data files (shared with other routes); one of its own when absent. */
  dataHashes?: FileSha256Cache;
  /** Where models are resolved when not in `modelsDir` (an S3 store). */
  modelStore?: ModelStore;
}

/**
 * Backend side of backtests: checks the strategy, the dates' shape and the model before anything
 * is dispatched, fills symbol/timeframe from the strategy when omitted, and pins what the worker
 * must run on by content hash: `data_sha256` (each CSV) and `model_sha256` (the bundle). The
 * backend reads no CSV here: whether the data covers the dates is checked by the worker's
 * `validate` hook (a 400 through the backend when a worker is free).
 */
export function backtestStartRoute(settings: BacktestRouteSettings): StartRouteSpec<typeof BacktestStartRequest> {
  // A sweep submits hundreds of backtests over the same data: each CSV is hashed once while its
  // mtime and size stay the same.
  const hashes = settings.dataHashes ?? new FileSha256Cache();
  return {
    paths: ['/backtests/start'],
    operationType: 'backtesting',
    workerType: 'backtesting',
    workerPath: '/backtests/start',
    body: BacktestStartRequest,
    summary: 'Start a backtest on a free backtesting worker',
    // Backtests are cheap and deterministic: a lost worker's backtest runs again elsewhere.
    defaultMaxAttempts: 3,
    async prepare(body) {
      const strategy = strategyFromRequestOr400(body, settings.strategiesDir);
      const symbol = body.symbol ?? strategy.training_data.symbols.symbols[0]!;
      const timeframe = body.timeframe ?? strategy.training_data.timeframes.base_timeframe;
      const effective = withTimeframeOr400(strategy, timeframe);
      const { start, end } = parseDateRange(body.start_date, body.end_date);
      const dataSha256 = await dataSha256Or400(hashes, settings.dataDir, symbol, requiredTimeframes(effective));
      let modelPath = body.model_path;
      let modelSha256: string | undefined;
      if (effective.decisions.mode === 'neural') {
        try {
          // A reference inside the backend's store; the worker resolves it in its own models dir
          // and fetches the bundle from here when it lacks it (or has other bytes under that name).
          if (settings.modelStore) {
            ({ ref: modelPath, sha256: modelSha256 } = await resolveInStore(settings.modelStore, effective, modelPath));
          } else {
            const resolved = await resolveModelPath(settings.modelsDir, effective, modelPath);
            modelPath = resolved.ref;
            modelSha256 = await bundleDirSha256(resolved.dir);
          }
        } catch (err) {
          throw InvalidRequestError.field('model_path', (err as Error).message.replace(/^model_path: /, ''));
        }
      }
      // Hashes a client sent are replaced: only the backend's own count.
      const { model_sha256: _m, data_sha256: _d, ...rest } = body;
      // initial_capital filled in: a request built by a sweep (not through the route's schema, which
      // fills the default) must pass a worker's body check as it is.
      const payload = { ...rest, initial_capital: body.initial_capital ?? 100_000, symbol, timeframe, data_sha256: dataSha256, ...(modelPath ? { model_path: modelPath } : {}), ...(modelSha256 ? { model_sha256: modelSha256 } : {}) };
      return {
        metadata: {
          symbol,
          timeframe,
          start_date: new Date(start).toISOString().slice(0, 10),
          end_date: new Date(end).toISOString().slice(0, 10),
          parameters: { strategy_name: strategy.name, strategy_source: body.strategy_yaml !== undefined ? 'strategy_yaml' : 'strategy_name', initial_capital: body.initial_capital, commission: body.commission ?? null, slippage: body.slippage ?? null, allow_short: body.allow_short ?? effective.trading.allow_short, on_opposite_signal: body.on_opposite_signal ?? effective.trading.on_opposite_signal, model_path: modelPath ?? null, model_version: modelVersionOf(modelPath), mode: effective.decisions.mode },
        },
        payload,
      };
    },
  };
}

/** `strategy/1h_v3` from a bundle path `…/strategy/1h_v3` (null for rules mode or another layout). */
function modelVersionOf(modelPath: string | undefined): string | null {
  const m = modelPath === undefined ? null : /([^/\\]+)[/\\]([^/\\]+_v\d+)[/\\]?$/.exec(modelPath);
  return m ? `${m[1]}/${m[2]}` : null;
}

/** resolveModelPath against a ModelStore: the given reference or the strategy's latest, with its identity. */
async function resolveInStore(store: ModelStore, strategy: StrategyConfig, ref: string | undefined): Promise<{ ref: string; sha256: string }> {
  const tf = strategy.training_data.timeframes.base_timeframe;
  const chosen = ref ?? (await store.latestRef(strategy.name, tf));
  if (chosen === undefined) {
    throw new Error(`strategy '${strategy.name}' is neural and has no trained model for ${tf}: train it first (ktrdr models train --strategy ${strategy.name}) or pass model_path`);
  }
  const sha256 = await store.identify(chosen);
  if (sha256 === undefined) throw new Error(`model '${chosen}' not found in the model store`);
  return { ref: chosen, sha256 };
}
