import { statSync } from 'node:fs';
import { InvalidRequestError } from '../../contracts/errors.js';
import type { StartRouteSpec } from '../../core/queue/submitter.js';
import { resolveModelPath } from '../../domain/pipeline/run-strategy-backtest.js';
import { checkDataCoverage, parseDateRange, strategyFromRequestOr400, withTimeframeOr400 } from '../request-checks.js';
import { BacktestStartRequest } from './backtest-request.js';
import { requiredTimeframes } from '../../domain/features/build-features.js';
import { ohlcvPath } from '../../domain/data/data-files.js';

export interface BacktestRouteSettings {
  dataDir: string;
  strategiesDir: string;
  modelsDir: string;
}

/**
 * Backend side of backtests: checks strategy, symbol data, dates and model before anything is
 * dispatched, and fills symbol/timeframe from the strategy when omitted.
 */
export function backtestStartRoute(settings: BacktestRouteSettings): StartRouteSpec<typeof BacktestStartRequest> {
  // A sweep submits hundreds of backtests over the same data: a coverage check that passed is
  // remembered for as long as the CSVs it read are unchanged (same mtime and size), instead of
  // reading them again for each (~20 ms).
  const coverageOk = new Set<string>();
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
      const timeframes = requiredTimeframes(effective);
      const files = timeframes.map((tf) => {
        try {
          const st = statSync(ohlcvPath(settings.dataDir, symbol, tf));
          return `${st.mtimeMs}:${st.size}`;
        } catch {
          return 'missing';
        }
      });
      const coverageKey = JSON.stringify([timeframes, files, effective.training_data.history_required ?? null, symbol, body.start_date, body.end_date]);
      if (files.includes('missing') || !coverageOk.has(coverageKey)) {
        checkDataCoverage(effective, settings.dataDir, symbol, body.start_date, body.end_date);
        if (coverageOk.size > 1024) coverageOk.clear();
        coverageOk.add(coverageKey);
      }
      let modelPath = body.model_path;
      if (effective.decisions.mode === 'neural') {
        try {
          // A reference inside the models dir; the worker resolves it again in its own.
          modelPath = (await resolveModelPath(settings.modelsDir, effective, modelPath)).ref;
        } catch (err) {
          throw InvalidRequestError.field('model_path', (err as Error).message.replace(/^model_path: /, ''));
        }
      }
      const payload = { ...body, symbol, timeframe, ...(modelPath ? { model_path: modelPath } : {}) };
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
