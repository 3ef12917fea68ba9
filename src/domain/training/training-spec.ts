import type { MlpSpec } from '../model/mlp.js';
import type { SplitFractions } from './chronological-split.js';

/**
 * Hyper-parameters of one training run (maps from the strategy's `training` section).
 * Every optional field documents its default.
 */
export interface TrainingSpec {
  /** Maximum number of passes over the training rows. Integer ≥ 1. */
  readonly epochs: number;
  /** Rows per gradient step. Integer ≥ 1. */
  readonly batchSize: number;
  /** Adam learning rate (> 0). */
  readonly learningRate: number;
  /**
   * Early stopping: stop after this many epochs without `val_loss` improving by more than
   * `minDelta`. Off when omitted (or when there are no validation rows).
   */
  readonly patience?: number;
  /** Smallest `val_loss` decrease that counts as an improvement. @defaultValue 0 */
  readonly minDelta?: number;
  /**
   * End with the weights of the epoch with the lowest `val_loss` (needs validation rows).
   * @defaultValue true
   */
  readonly restoreBestWeights?: boolean;
  /** Z-score the features with mean/std of the training rows. @defaultValue false (memberships are already in [0, 1]) */
  readonly normalize?: boolean;
  /** Weight the loss by inverse class frequency (`'balanced'`) or not. @defaultValue 'balanced' */
  readonly classWeighting?: 'balanced' | 'none';
  /** Seed of weight initialisation, of the per-epoch shuffle of training rows and of the dropout masks. @defaultValue 42 */
  readonly seed?: number;
  /**
   * Rows dropped at the start of validation and of test so labels that look ahead cannot leak
   * across a split boundary; set it to the label lookahead. @defaultValue 0
   */
  readonly splitGapRows?: number;
}

/** The data to train on: a feature matrix, one label per row, and how to split it by time. */
export interface TrainingData {
  /** Row-major `rows × cols` features, oldest row first. NaN rows (warm-up) are skipped. */
  readonly features: Float32Array;
  readonly rows: number;
  readonly cols: number;
  /** Class per row (0 BUY, 1 HOLD, 2 SELL); a value ≥ 3 (e.g. 255) marks a row to skip. */
  readonly labels: Uint8Array;
  /** Chronological split fractions of the usable rows. */
  readonly split: SplitFractions;
  /**
   * Bar time (epoch ms) per row. When given (several symbols stacked), the split is by time across
   * symbols and the purge gap counts bar times; otherwise by row order.
   */
  readonly times?: ArrayLike<number>;
}

/** Everything {@link trainModel} needs besides the tfjs runtime. */
export interface TrainingRequest {
  readonly data: TrainingData;
  readonly model: MlpSpec;
  readonly training: TrainingSpec;
}

/** One finished epoch, as reported to `onEpochEnd` and stored in `metrics.json` (snake_case). */
export interface EpochMetrics {
  /** 1-based epoch number. */
  readonly epoch: number;
  /** Mean (class-weighted) cross-entropy over the epoch's batches, in training mode (dropout on). */
  readonly train_loss: number;
  /** Accuracy over the epoch's training batches, in training mode. */
  readonly train_accuracy: number;
  /** Class-weighted cross-entropy on the validation rows (inference mode); null without validation rows. */
  readonly val_loss: number | null;
  readonly val_accuracy: number | null;
  readonly learning_rate: number;
  /** Wall time of the epoch including validation, in seconds. */
  readonly duration_s: number;
}

/** Where training is, for progress bars. */
export interface TrainingProgress {
  /** 1-based current epoch. */
  readonly epoch: number;
  readonly totalEpochs: number;
  /** Batches of the current epoch completed so far. */
  readonly batch: number;
  readonly totalBatches: number;
  /** Overall completion in [0, 1] assuming all epochs run. */
  readonly fraction: number;
}

/** Callbacks and cancellation for {@link trainModel}. */
export interface TrainingHooks {
  /** Aborting it cancels training between two batches. */
  readonly signal?: AbortSignal;
  /** Polled between batches; returning true cancels training. */
  readonly isCancelled?: () => boolean;
  /** Called after every epoch (awaited). */
  readonly onEpochEnd?: (metrics: EpochMetrics) => void | Promise<void>;
  /** Called at most every `progressIntervalMs` during an epoch and at each epoch's end (awaited). */
  readonly onProgress?: (progress: TrainingProgress) => void | Promise<void>;
  /** Minimum time between two `onProgress` calls within an epoch. @defaultValue 250 */
  readonly progressIntervalMs?: number;
}
