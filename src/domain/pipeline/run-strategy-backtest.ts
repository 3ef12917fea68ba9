import { encodeSeriesFrame } from '../../contracts/series-frame.js';
import { explainNoTrades } from '../backtest/backtest-diagnostics.js';
import { runBenchmarks } from '../backtest/benchmarks.js';
import { runBacktestEngine } from '../backtest/engine.js';
import { summarizeBacktest } from '../backtest/result-summary.js';
import { ohlcvQualityWarnings } from '../data/data-quality.js';
import { ruleProbabilities } from '../features/rules.js';
import { loadModelBundle, resolveLatestBundle } from '../model/model-bundle.js';
import { modelRefOfDir, resolveModelRef } from '../model/model-ref.js';
import { predictProbabilities } from '../model/predict-probabilities.js';
import { initTensorflow } from '../model/tf-backend.js';
import type { StrategyConfig } from '../strategy/strategy-config.js';
import { describeDataCoverage } from './data-coverage.js';
import { resolveTrading, type TradingOverrides } from './resolve-trading.js';
import { firstIndexAtOrAfter, loadStrategyData, StrategyRequestError, strategyForTimeframe } from './strategy-data.js';

export interface StrategyBacktestParams {
  strategy: StrategyConfig;
  dataDir: string;
  modelsDir: string;
  symbol: string;
  timeframe: string;
  startDate: string;
  endDate: string;
  initialCapital: number;
  /** Request overrides of the strategy's costs and `trading:` block. */
  overrides?: TradingOverrides;
  /** Model reference (`{strategy}/{tf}_v{N}` inside modelsDir) for neural mode; the strategy's latest when omitted. */
  modelPath?: string | undefined;
}

export interface PipelineHooks {
  progress(update: {
    percentage: number;
    current_step: string;
    items_processed?: number;
    items_total?: number;
    steps_completed?: number;
    steps_total?: number;
    context?: Record<string, unknown>;
  }): void;
  isCancelled(): boolean;
}

/**
 * Finds the model a neural backtest uses: the given reference, or the strategy's latest bundle,
 * always a folder inside `modelsDir`. Returns the reference (what requests and results carry)
 * and the folder.
 */
export async function resolveModelPath(
  modelsDir: string,
  strategy: StrategyConfig,
  modelRefOrUndefined: string | undefined,
): Promise<{ ref: string; dir: string }> {
  if (modelRefOrUndefined) {
    try {
      return { ref: modelRefOrUndefined, dir: await resolveModelRef(modelsDir, modelRefOrUndefined) };
    } catch (err) {
      throw new StrategyRequestError('model_path', (err as Error).message);
    }
  }
  const tf = strategy.training_data.timeframes.base_timeframe;
  const latest = await resolveLatestBundle(modelsDir, strategy.name, tf);
  if (!latest) {
    throw new StrategyRequestError(
      'model_path',
      `strategy '${strategy.name}' is neural and has no trained model for ${tf}: train it first (ktrdr models train --strategy ${strategy.name}) or pass model_path`,
    );
  }
  return { ref: modelRefOfDir(modelsDir, latest), dir: latest };
}

/** Features → signals (rules or model inference) → bar loop → summary + full artifact. */
export async function runStrategyBacktest(p: StrategyBacktestParams, hooks: PipelineHooks) {
  const strategy = strategyForTimeframe(p.strategy, p.timeframe);
  hooks.progress({ percentage: 1, current_step: 'Loading data and computing features' });
  const data = loadStrategyData(strategy, { dataDir: p.dataDir, symbol: p.symbol, endDate: p.endDate });
  const { features, base } = data;
  if (hooks.isCancelled()) return undefined;

  let probabilities: Float32Array;
  let modelPath: string | null = null;
  let backend: string | null = null;
  let model: Record<string, unknown> | null = null;
  if (strategy.decisions.mode === 'rules') {
    probabilities = ruleProbabilities(strategy, features);
  } else {
    const resolved = await resolveModelPath(p.modelsDir, strategy, p.modelPath);
    modelPath = resolved.ref;
    hooks.progress({ percentage: 5, current_step: 'Loading model' });
    const runtime = await initTensorflow('auto');
    backend = runtime.backend;
    const bundle = await loadModelBundle(runtime.tf, resolved.dir);
    const expected = features.names.join(',');
    if (bundle.featureNames.join(',') !== expected) {
      throw new StrategyRequestError(
        'model_path',
        `model ${modelPath} was trained on features [${bundle.featureNames.join(', ')}] but strategy '${strategy.name}' produces [${features.names.join(', ')}]`,
      );
    }
    hooks.progress({ percentage: 8, current_step: 'Running model inference' });
    probabilities = predictProbabilities(runtime.tf, bundle, features.values, features.rows, features.cols);
    bundle.model.dispose();
    // Out of sample = the backtest starts after the last bar the model was trained on; a model
    // trained without an end date saw all the data, so no window of it is out of sample.
    const trainedTo = typeof bundle.metadata.end_date === 'string' ? bundle.metadata.end_date : null;
    model = {
      version: `${bundle.metadata.strategy_name}/${bundle.metadata.timeframe}_v${bundle.version}`,
      trained_from: typeof bundle.metadata.start_date === 'string' ? bundle.metadata.start_date : null,
      trained_to: trainedTo,
      out_of_sample: trainedTo !== null && Date.parse(p.startDate) > Date.parse(trainedTo),
    };
  }

  const startIndex = Math.max(features.validFrom, firstIndexAtOrAfter(base.time, p.startDate));
  if (startIndex >= base.length - 1) {
    throw new StrategyRequestError(
      'start_date',
      `no bars to trade for ${p.symbol} ${p.timeframe} between ${p.startDate} and ${p.endDate} once indicators have warmed up`,
    );
  }
  const trading = resolveTrading(strategy, p.symbol, p.overrides);
  const result = runBacktestEngine({
    bars: base,
    probabilities,
    config: { ...trading.config, initialCapital: p.initialCapital, startIndex, timeframe: p.timeframe },
    isCancelled: hooks.isCancelled,
    onProgress: ({ barsDone, barsTotal, pnl, trades }) =>
      hooks.progress({
        percentage: 10 + (89 * barsDone) / Math.max(1, barsTotal),
        current_step: `Processing bar ${barsDone}/${barsTotal}`,
        items_processed: barsDone,
        items_total: barsTotal,
        context: { current_pnl: Math.round(pnl * 100) / 100, trades },
      }),
  });
  const summary = summarizeBacktest(result);
  const coverage = describeDataCoverage({
    symbol: p.symbol,
    timeframe: p.timeframe,
    startDate: p.startDate,
    endDate: p.endDate,
    dataFirstMs: base.time[0] as number,
    dataLastMs: base.time[base.length - 1] as number,
    usedFirstMs: base.time[startIndex] as number,
    usedLastMs: base.time[base.length - 1] as number,
  });
  const benchmarks = runBenchmarks(base, result.config);
  const summaryCurve = summary.equity_curve.map((pt) => {
    const i = firstIndexAtOrAfter(base.time, pt.time);
    return { ...pt, benchmark_equity: Math.round((benchmarks.equity[i] as number) * 100) / 100, close: base.close[i] as number };
  });
  const diagnostics = {
    ...result.diagnostics,
    data_warnings: ohlcvQualityWarnings(base, { start: startIndex }),
    no_trade_reasons: explainNoTrades(result.diagnostics, result.config.confidenceThreshold, result.trades.length),
  };
  const info = {
    strategy_name: strategy.name,
    symbol: p.symbol,
    timeframe: p.timeframe,
    start_date: p.startDate,
    end_date: p.endDate,
    mode: strategy.decisions.mode,
    model_path: modelPath,
    model,
    tf_backend: backend,
    bars: base.length - startIndex,
    ...coverage,
    costs: trading.costs,
    trading: trading.trading,
  };
  // The full curve, one value per bar of the window, as a series frame (Float64 columns in one
  // buffer): no per-bar ISO string or JSON number is built here, and the job thread moves the
  // buffer to the HTTP thread without a copy. The backend renders it (downsampled by default).
  const end = result.equity.length;
  const equityCurve = encodeSeriesFrame(
    {
      time: result.time.subarray(startIndex, end),
      equity: result.equity.subarray(startIndex, end),
      benchmark_equity: benchmarks.equity.subarray(startIndex, end),
    },
    { time_column: 'time', value_column: 'equity' },
  );
  return {
    summary: { ...info, ...summary, equity_curve: summaryCurve, benchmarks: benchmarks.figures, diagnostics },
    artifact: {
      ...info,
      metrics: summary.metrics,
      benchmarks: benchmarks.figures,
      diagnostics,
      trades: result.trades,
      /** Columns `time` (epoch ms), `equity`, `benchmark_equity`: see contracts/series-frame.ts. */
      equity_curve: equityCurve,
    },
  };
}
