import { computeDataHash } from '../model/data-hash.js';
import { saveModelBundle } from '../model/model-bundle.js';
import { modelRefOfDir } from '../model/model-ref.js';
import { initTensorflow } from '../model/tf-backend.js';
import { zigzagLabels } from '../labels/zigzag.js';
import type { StrategyConfig } from '../strategy/strategy-config.js';
import { trainModel } from '../training/train-model.js';
import type { PipelineHooks } from './run-strategy-backtest.js';
import { describeDataCoverage, type DataCoverage } from './data-coverage.js';
import { firstIndexAtOrAfter, loadStrategyData, strategyForTimeframe } from './strategy-data.js';

export interface StrategyTrainingParams {
  strategy: StrategyConfig;
  dataDir: string;
  modelsDir: string;
  symbols: readonly string[];
  timeframe?: string | undefined;
  startDate?: string | undefined;
  endDate?: string | undefined;
}

/** A label value trainModel skips: warm-up rows, rows before start_date, the last lookahead bars. */
const MASKED = 255;

/**
 * Builds the dataset with the same feature code the backtest uses (symbols stacked in the order
 * given), labels it with zigzag, trains the MLP and writes a model bundle; `_latest` moves only
 * once the bundle is complete.
 */
export async function runStrategyTraining(
  p: StrategyTrainingParams,
  hooks: PipelineHooks & { metric(record: Record<string, unknown>): void },
) {
  const strategy = strategyForTimeframe(p.strategy, p.timeframe);
  const timeframe = strategy.training_data.timeframes.base_timeframe;
  const { zigzag_threshold, label_lookahead } = strategy.training.labels;
  hooks.progress({ percentage: 1, current_step: 'Loading data and computing features' });

  const parts: { values: Float32Array; labels: Uint8Array; rows: number; time: Float64Array }[] = [];
  let names: readonly string[] = [];
  const hashParts: (ArrayBufferView | string)[] = [];
  const coverage: DataCoverage[] = [];
  for (const symbol of p.symbols) {
    const { base, features } = loadStrategyData(strategy, { dataDir: p.dataDir, symbol, endDate: p.endDate });
    names = features.names;
    const labels = zigzagLabels(base.close, { threshold: zigzag_threshold, lookahead: label_lookahead });
    const from = Math.max(features.validFrom, firstIndexAtOrAfter(base.time, p.startDate));
    for (let i = 0; i < labels.length; i++) {
      if (i < from || i >= labels.length - label_lookahead) labels[i] = MASKED;
    }
    parts.push({ values: features.values, labels, rows: features.rows, time: base.time });
    coverage.push(
      describeDataCoverage({
        symbol,
        timeframe,
        startDate: p.startDate,
        endDate: p.endDate,
        dataFirstMs: base.time[0] as number,
        dataLastMs: base.time[base.length - 1] as number,
        usedFirstMs: base.time[Math.min(from, base.length - 1)] as number,
        usedLastMs: base.time[base.length - 1] as number,
      }),
    );
    hashParts.push(symbol, base.time, base.close);
  }
  const rows = parts.reduce((n, part) => n + part.rows, 0);
  const cols = names.length;
  const values = new Float32Array(rows * cols);
  const labels = new Uint8Array(rows);
  const times = new Float64Array(rows);
  let offset = 0;
  for (const part of parts) {
    values.set(part.values, offset * cols);
    labels.set(part.labels, offset);
    times.set(part.time.subarray(0, part.rows), offset);
    offset += part.rows;
  }
  if (hooks.isCancelled()) return undefined;

  const runtime = await initTensorflow('auto');
  hooks.progress({ percentage: 5, current_step: `Training on ${runtime.backend}`, context: { backend: runtime.backend } });
  const epochs = strategy.training.epochs;
  const result = await trainModel(
    runtime.tf,
    {
      // Split by bar time, so with several symbols every symbol's rows of a period share one split.
      data: { features: values, rows, cols, labels, split: strategy.training.data_split, times },
      model: {
        hiddenLayers: [...strategy.model.architecture.hidden_layers],
        activation: strategy.model.architecture.activation,
        dropout: strategy.model.architecture.dropout,
      },
      training: {
        epochs,
        batchSize: strategy.training.batch_size,
        learningRate: strategy.training.learning_rate,
        patience: strategy.training.early_stopping?.patience,
        minDelta: strategy.training.early_stopping?.min_delta,
        splitGapRows: label_lookahead,
        seed: strategy.training.seed ?? 42,
      },
    },
    {
      isCancelled: hooks.isCancelled,
      onEpochEnd: (m) => {
        hooks.metric({ ...m });
        hooks.progress({
          percentage: 5 + (90 * m.epoch) / epochs,
          current_step: `Epoch ${m.epoch}/${epochs}`,
          steps_completed: m.epoch,
          steps_total: epochs,
          context: { train_loss: m.train_loss, val_loss: m.val_loss, val_accuracy: m.val_accuracy },
        });
      },
      onProgress: (pr) =>
        hooks.progress({
          percentage: 5 + (90 * (pr.epoch - 1 + pr.fraction)) / epochs,
          current_step: `Epoch ${pr.epoch}/${epochs}`,
          steps_completed: pr.epoch - 1,
          steps_total: epochs,
        }),
    },
  );
  try {
    if (hooks.isCancelled()) return undefined;
    hooks.progress({ percentage: 96, current_step: 'Saving model' });
    const saved = await saveModelBundle({
      modelsDir: p.modelsDir,
      strategyName: strategy.name,
      timeframe,
      model: result.model,
      strategyConfig: strategy,
      featureNames: names,
      normalization: result.normalization,
      metrics: result.metrics,
      metadata: {
        symbols: [...p.symbols],
        timeframes: [...strategy.training_data.timeframes.timeframes],
        start_date: p.startDate,
        end_date: p.endDate,
        data_hash: computeDataHash(hashParts),
        backend: runtime.backend,
      },
    });
    const test = result.metrics.test;
    return {
      summary: {
        strategy_name: strategy.name,
        symbols: [...p.symbols],
        timeframe,
        model_path: modelRefOfDir(p.modelsDir, saved.path),
        model_version: saved.version,
        backend: runtime.backend,
        feature_count: cols,
        epochs_trained: result.metrics.epochs_run,
        best_epoch: result.metrics.best_epoch,
        stopped_early: result.metrics.stopped_early,
        test_accuracy: test?.accuracy ?? null,
        test_balanced_accuracy: test?.balanced_accuracy ?? null,
        test_macro_f1: test?.macro_f1 ?? null,
        test_cohen_kappa: test?.cohen_kappa ?? null,
        train_majority_class: test?.train_majority?.class ?? null,
        train_majority_accuracy: test?.train_majority?.accuracy ?? null,
        chance_accuracy: test?.chance_accuracy ?? null,
        test_per_class: test?.per_class ?? null,
        test_confusion_matrix: test?.confusion_matrix ?? null,
        baseline_accuracy: test?.baseline_accuracy ?? null,
        baseline_class: test?.baseline_class ?? null,
        seed: result.metrics.seed,
        split_by: result.metrics.split_by,
        split_rows: result.metrics.split_rows,
        duration_s: result.metrics.duration_s,
        // Symbols are stacked: the range spans them all.
        data_range: {
          first_bar: coverage.map((c) => c.data_range.first_bar).sort()[0] ?? null,
          last_bar: coverage.map((c) => c.data_range.last_bar).sort().at(-1) ?? null,
        },
        warnings: coverage.flatMap((c) => c.warnings),
      },
      artifact: { model_path: modelRefOfDir(p.modelsDir, saved.path), metrics: result.metrics, feature_names: names },
    };
  } finally {
    result.model.dispose();
  }
}
