import type * as tfjs from '@tensorflow/tfjs';
import { TRADE_LABEL_COUNT, TRADE_LABEL_NAMES } from '../labels/trade-label.js';
import { fitZScore, type ZScoreNormalization } from '../model/feature-normalization.js';
import { buildMlp } from '../model/mlp.js';
import { predictProbabilities } from '../model/predict-probabilities.js';
import type { Tf } from '../model/tf-backend.js';
import { computeClassWeights, countClasses } from './class-weights.js';
import { computeClassificationMetrics, type ClassificationMetrics } from './classification-metrics.js';
import { splitChronologically, splitChronologicallyByTime } from './chronological-split.js';
import { createSeededRandom, shuffleInPlace } from './seeded-random.js';
import { TrainingCancelledError } from './training-cancelled-error.js';
import { TrainingInputError } from './training-input-error.js';
import { gatherLabels, gatherRows, usableRows } from './training-rows.js';
import type { EpochMetrics, TrainingHooks, TrainingRequest, TrainingSpec } from './training-spec.js';
import { countHits, evaluateLoss, weightedCrossEntropy } from './weighted-loss.js';

/** Everything about a run worth keeping, JSON-ready for `metrics.json` (snake_case). */
export interface TrainingMetrics {
  readonly history: readonly EpochMetrics[];
  /** Metrics of the final model on the test rows; null when the test split is empty. */
  readonly test: ClassificationMetrics | null;
  /** 1-based epoch whose weights the model ends with. */
  readonly best_epoch: number;
  readonly epochs_run: number;
  readonly stopped_early: boolean;
  /** Loss weight per class (BUY, HOLD, SELL). */
  readonly class_weights: readonly number[];
  /** Rows per split after dropping unusable rows and purge gaps. */
  readonly split_rows: { readonly train: number; readonly validation: number; readonly test: number };
  /** Label counts (BUY, HOLD, SELL) per split. */
  readonly label_distribution: {
    readonly train: readonly number[];
    readonly validation: readonly number[];
    readonly test: readonly number[];
  };
  /** Seed of weight initialisation, shuffling and dropout: the same seed gives the same model. */
  readonly seed: number;
  /** `time`: rows were split by bar time across symbols; `row`: by row order. */
  readonly split_by: 'time' | 'row';
  readonly duration_s: number;
}

/** What {@link trainModel} returns. The caller owns `model` and must `dispose()` it. */
export interface TrainingResult {
  readonly model: tfjs.Sequential;
  /** Normalisation the model expects its inputs in; null when `normalize` was off. */
  readonly normalization: ZScoreNormalization | null;
  readonly metrics: TrainingMetrics;
}

const EVAL_BATCH_ROWS = 8192;

/**
 * Trains an MLP classifier on a feature matrix with a chronological train/validation/test split.
 *
 * - Rows with a non-finite feature or a label ≥ 3 are dropped, then the usable rows are split by
 *   time (never shuffled across splits); training rows are reshuffled every epoch with a seeded
 *   PRNG.
 * - Loss: cross-entropy weighted per class (inverse frequency on the training rows), averaged as
 *   `Σ wᵢ·CEᵢ / Σ wᵢ` — the same weighted objective is reported for validation.
 * - Adam with `learningRate`; early stopping on `val_loss` with `patience`; best weights restored.
 * - Cancellation (signal / isCancelled) is checked between batches; the loop yields to the event
 *   loop regularly so an abort coming from a message can be seen. A cancelled run disposes its
 *   model and throws {@link TrainingCancelledError}.
 * - Every tensor it creates is released except the returned model.
 *
 * @throws TrainingInputError for inconsistent data or hyper-parameters.
 * @throws TrainingCancelledError when cancelled.
 */
export async function trainModel(tf: Tf, request: TrainingRequest, hooks: TrainingHooks = {}): Promise<TrainingResult> {
  const started = performance.now();
  const { data, training } = request;
  const spec = resolveSpec(training);
  const progressIntervalMs = hooks.progressIntervalMs ?? 250;
  const isCancelled = () => hooks.signal?.aborted === true || hooks.isCancelled?.() === true;
  if (isCancelled()) throw new TrainingCancelledError(0, 0);

  const { features, rows, cols, labels } = data;
  if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 0 && cols >= 1)) {
    throw new TrainingInputError(`invalid matrix shape ${rows} × ${cols}`);
  }
  if (features.length !== rows * cols) {
    throw new TrainingInputError(`features has ${features.length} values, expected ${rows} × ${cols}`);
  }
  if (labels.length !== rows) throw new TrainingInputError(`labels has ${labels.length} rows, features ${rows}`);

  if (data.times !== undefined && data.times.length !== rows) {
    throw new TrainingInputError(`times has ${data.times.length} rows, features ${rows}`);
  }
  const usable = usableRows(features, cols, labels, TRADE_LABEL_COUNT);
  const split = data.times !== undefined
    ? splitChronologicallyByTime(usable, data.times, data.split, spec.splitGapRows)
    : splitChronologically(usable, data.split, spec.splitGapRows);
  const normalization = spec.normalize ? fitZScore(features, cols, split.train) : null;
  const classWeights =
    spec.classWeighting === 'balanced'
      ? computeClassWeights(labels, TRADE_LABEL_COUNT, split.train)
      : new Array<number>(TRADE_LABEL_COUNT).fill(1);

  const model = buildMlp(tf, request.model, { inputSize: cols, numClasses: TRADE_LABEL_COUNT, seed: spec.seed });
  const optimizer = tf.train.adam(spec.learningRate);
  const owned: tfjs.Tensor[] = [];
  const own = <T extends tfjs.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  let bestWeights: tfjs.Tensor[] | undefined;
  let keepModel = false;
  try {
    const xTrain = own(tf.tensor2d(gatherRows(features, cols, split.train, normalization), [split.train.length, cols]));
    const yTrain = own(tf.tensor1d(gatherLabels(labels, split.train), 'int32'));
    const classWeightT = own(tf.tensor1d(classWeights, 'float32'));
    const hasVal = split.validation.length > 0;
    const xVal = hasVal
      ? own(tf.tensor2d(gatherRows(features, cols, split.validation, normalization), [split.validation.length, cols]))
      : undefined;
    const yVal = hasVal ? own(tf.tensor1d(gatherLabels(labels, split.validation), 'int32')) : undefined;
    const varList = model.trainableWeights.map((w) => w.read() as tfjs.Variable);

    const nTrain = split.train.length;
    const totalBatches = Math.ceil(nTrain / spec.batchSize);
    const order = Int32Array.from({ length: nTrain }, (_, i) => i);
    const random = createSeededRandom(spec.seed);
    // Dropout layers read their seed at every call: a fresh seed per batch from a seeded stream
    // gives masks that differ between batches yet repeat exactly from run to run.
    const dropoutRandom = createSeededRandom(spec.seed ^ 0x5bd1e995);
    const dropoutLayers = model.layers.filter((l) => l.getClassName() === 'Dropout') as unknown as { seed?: number }[];
    const history: EpochMetrics[] = [];
    let bestLoss = Number.POSITIVE_INFINITY;
    let bestEpoch = 0;
    let sinceBest = 0;
    let stoppedEarly = false;
    let lastYield = performance.now();
    let lastProgress = 0;

    for (let epoch = 1; epoch <= spec.epochs; epoch++) {
      const epochStart = performance.now();
      shuffleInPlace(order, random);
      let lossSum = 0;
      let correct = 0;
      for (let b = 0; b < totalBatches; b++) {
        if (isCancelled()) {
          model.stopTraining = true;
          throw new TrainingCancelledError(epoch, b);
        }
        const start = b * spec.batchSize;
        const end = Math.min(start + spec.batchSize, nTrain);
        for (const layer of dropoutLayers) layer.seed = Math.floor(dropoutRandom() * 2_147_483_647);
        const stats = tf.tidy(() => {
          const idx = tf.tensor1d(order.subarray(start, end), 'int32');
          const xb = tf.gather(xTrain, idx);
          const yb = tf.gather(yTrain, idx);
          let hits: tfjs.Tensor | undefined;
          const cost = optimizer.minimize(
            () => {
              const probs = model.apply(xb, { training: true }) as tfjs.Tensor2D;
              // keep() lets the hit count escape minimize()'s internal tidy; disposed below.
              hits = tf.keep(countHits(tf, probs, yb));
              return weightedCrossEntropy(tf, probs, yb, classWeightT).div(tf.gather(classWeightT, yb).sum());
            },
            true,
            varList,
          );
          if (cost === null || hits === undefined) throw new Error('optimizer returned no cost');
          const packed = tf.stack([cost, hits]);
          hits.dispose();
          return packed;
        });
        const [batchLoss, batchHits] = stats.dataSync();
        stats.dispose();
        lossSum += (batchLoss as number) * (end - start);
        correct += batchHits as number;

        const now = performance.now();
        if (hooks.onProgress && (now - lastProgress >= progressIntervalMs || b === totalBatches - 1)) {
          lastProgress = now;
          await hooks.onProgress({
            epoch,
            totalEpochs: spec.epochs,
            batch: b + 1,
            totalBatches,
            fraction: (epoch - 1 + (b + 1) / totalBatches) / spec.epochs,
          });
        }
        // Synchronous batches would starve the event loop (and with it any abort message).
        if (now - lastYield >= 20) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
      }

      const val = xVal && yVal ? evaluateLoss(tf, model, xVal, yVal, classWeightT) : undefined;
      const metrics: EpochMetrics = {
        epoch,
        train_loss: lossSum / nTrain,
        train_accuracy: correct / nTrain,
        val_loss: val ? val.loss : null,
        val_accuracy: val ? val.accuracy : null,
        learning_rate: spec.learningRate,
        duration_s: (performance.now() - epochStart) / 1000,
      };
      history.push(metrics);

      if (val && val.loss < bestLoss - spec.minDelta) {
        bestLoss = val.loss;
        bestEpoch = epoch;
        sinceBest = 0;
        if (spec.restoreBestWeights) {
          bestWeights?.forEach((t) => t.dispose());
          bestWeights = model.getWeights().map((w) => w.clone());
        }
      } else if (val) {
        sinceBest++;
      } else {
        bestEpoch = epoch;
      }
      await hooks.onEpochEnd?.(metrics);
      if (spec.patience !== undefined && val && sinceBest >= spec.patience && epoch < spec.epochs) {
        stoppedEarly = true;
        break;
      }
    }

    const epochsRun = history.length;
    if (bestWeights && bestEpoch !== epochsRun) model.setWeights(bestWeights);
    else if (!bestWeights) bestEpoch = epochsRun;
    if (isCancelled()) throw new TrainingCancelledError(epochsRun, totalBatches);

    const test =
      split.test.length > 0
        ? evaluateTest(tf, model, gatherRows(features, cols, split.test, normalization), gatherLabels(labels, split.test), cols, countClasses(labels, TRADE_LABEL_COUNT, split.train))
        : null;
    keepModel = true;
    return {
      model,
      normalization,
      metrics: {
        history,
        test,
        best_epoch: bestEpoch,
        epochs_run: epochsRun,
        stopped_early: stoppedEarly,
        class_weights: classWeights,
        split_rows: { train: split.train.length, validation: split.validation.length, test: split.test.length },
        label_distribution: {
          train: countClasses(labels, TRADE_LABEL_COUNT, split.train),
          validation: countClasses(labels, TRADE_LABEL_COUNT, split.validation),
          test: countClasses(labels, TRADE_LABEL_COUNT, split.test),
        },
        seed: spec.seed,
        split_by: data.times !== undefined ? 'time' : 'row',
        duration_s: (performance.now() - started) / 1000,
      },
    };
  } finally {
    owned.forEach((t) => t.dispose());
    bestWeights?.forEach((t) => t.dispose());
    optimizer.dispose();
    if (!keepModel) model.dispose();
  }
}

type ResolvedSpec = Required<Omit<TrainingSpec, 'patience'>> & { patience?: number };

function resolveSpec(t: TrainingSpec): ResolvedSpec {
  const positiveInt = (name: string, v: number) => {
    if (!(Number.isInteger(v) && v >= 1)) throw new TrainingInputError(`${name} must be a positive integer, got ${v}`);
  };
  positiveInt('epochs', t.epochs);
  positiveInt('batch_size', t.batchSize);
  if (!(Number.isFinite(t.learningRate) && t.learningRate > 0)) {
    throw new TrainingInputError(`learning_rate must be > 0, got ${t.learningRate}`);
  }
  if (t.patience !== undefined) positiveInt('early_stopping.patience', t.patience);
  return {
    epochs: t.epochs,
    batchSize: t.batchSize,
    learningRate: t.learningRate,
    ...(t.patience !== undefined ? { patience: t.patience } : {}),
    minDelta: t.minDelta ?? 0,
    restoreBestWeights: t.restoreBestWeights ?? true,
    normalize: t.normalize ?? false,
    classWeighting: t.classWeighting ?? 'balanced',
    seed: t.seed ?? 42,
    splitGapRows: t.splitGapRows ?? 0,
  };
}

/** Test-set metrics of the model's arg-max predictions. */
function evaluateTest(
  tf: Tf,
  model: tfjs.LayersModel,
  x: Float32Array,
  actual: Int32Array,
  cols: number,
  trainCounts: readonly number[],
): ClassificationMetrics {
  const probs = predictProbabilities(tf, model, x, actual.length, cols, { batchSize: EVAL_BATCH_ROWS });
  const predicted = new Int32Array(actual.length);
  for (let i = 0; i < actual.length; i++) {
    let best = 0;
    for (let c = 1; c < TRADE_LABEL_COUNT; c++) {
      if ((probs[i * TRADE_LABEL_COUNT + c] as number) > (probs[i * TRADE_LABEL_COUNT + best] as number)) best = c;
    }
    predicted[i] = best;
  }
  return computeClassificationMetrics(actual, predicted, TRADE_LABEL_NAMES, { trainCounts });
}
