import { TRADE_LABEL_NAMES } from '../labels/trade-label.js';

/** Precision/recall of one class. JSON-ready (snake_case, as written to `metrics.json`). */
export interface ClassMetrics {
  readonly label: string;
  /** TP / (TP + FP); 0 when the class was never predicted. */
  readonly precision: number;
  /** TP / (TP + FN); 0 when the class never occurs. */
  readonly recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  readonly f1: number;
  /** How many samples actually belong to the class. */
  readonly support: number;
}

/** How well predicted classes match actual classes on one data set (e.g. the test split). */
export interface ClassificationMetrics {
  readonly samples: number;
  /** Fraction of samples predicted correctly; 0 for an empty set. */
  readonly accuracy: number;
  readonly per_class: readonly ClassMetrics[];
  /** `confusion_matrix[actual][predicted]` = number of samples. */
  readonly confusion_matrix: readonly (readonly number[])[];
  /**
   * Accuracy of always predicting this set's most frequent class — the bar a useful model has
   * to clear. (Measured on the same set, so it is an upper bound for any constant predictor.)
   */
  readonly baseline_accuracy: number;
  /** The class that baseline predicts. */
  readonly baseline_class: string;
  /** Mean per-class recall (classes that occur in this set); chance level is 1 / classes. */
  readonly balanced_accuracy: number;
  /** Unweighted mean of the per-class F1 scores. */
  readonly macro_f1: number;
  /** Cohen's kappa: (accuracy − expected agreement) / (1 − expected agreement); 0 = chance, 1 = perfect. */
  readonly cohen_kappa: number;
  /**
   * The honest baseline: the majority class of the TRAINING set (what a constant model would have
   * learned), its accuracy, balanced accuracy and macro-F1 on this set. Null when no training
   * distribution was given.
   */
  readonly train_majority: {
    readonly class: string;
    readonly accuracy: number;
    readonly balanced_accuracy: number;
    readonly macro_f1: number;
  } | null;
  /**
   * Chance level: the expected accuracy of guessing classes at random with the training-set
   * frequencies (Σ p_train(c) × p_this(c)); balanced accuracy and kappa are 1 / classes and 0 by
   * construction. Null when no training distribution was given.
   */
  readonly chance_accuracy: number | null;
}

/** Options of {@link computeClassificationMetrics}. */
export interface ClassificationMetricsOptions {
  /** Label counts per class on the training set, for the train-majority and chance baselines. */
  readonly trainCounts?: readonly number[];
}

function scoreMatrix(matrix: readonly (readonly number[])[]): { balanced: number; macroF1: number; kappa: number; accuracy: number } {
  const k = matrix.length;
  let n = 0;
  let correct = 0;
  let recallSum = 0;
  let present = 0;
  let f1Sum = 0;
  let expected = 0;
  const rowSums = matrix.map((row) => row.reduce((s, v) => s + v, 0));
  const colSums = Array.from({ length: k }, (_, c) => matrix.reduce((s, row) => s + (row[c] as number), 0));
  for (let c = 0; c < k; c++) {
    n += rowSums[c] as number;
    correct += matrix[c]![c]!;
  }
  for (let c = 0; c < k; c++) {
    const tp = matrix[c]![c]!;
    const support = rowSums[c] as number;
    const predictedAs = colSums[c] as number;
    const precision = predictedAs > 0 ? tp / predictedAs : 0;
    const recall = support > 0 ? tp / support : 0;
    if (support > 0) {
      recallSum += recall;
      present++;
    }
    f1Sum += precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    if (n > 0) expected += (support / n) * (predictedAs / n);
  }
  const accuracy = n > 0 ? correct / n : 0;
  return {
    accuracy,
    balanced: present > 0 ? recallSum / present : 0,
    macroF1: k > 0 ? f1Sum / k : 0,
    kappa: n > 0 && expected < 1 ? (accuracy - expected) / (1 - expected) : 0,
  };
}

/**
 * Accuracy, balanced accuracy, macro-F1, Cohen's kappa, per-class precision/recall/F1, the
 * confusion matrix, and the baselines: this set's majority class, the training set's majority
 * class and chance (when `options.trainCounts` is given).
 *
 * @param actual true class per sample.
 * @param predicted predicted class per sample (same length).
 * @param labelNames class names in index order; their count is the number of classes.
 * @throws RangeError when the lengths differ or a class index is out of range.
 */
export function computeClassificationMetrics(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  labelNames: readonly string[] = TRADE_LABEL_NAMES,
  options: ClassificationMetricsOptions = {},
): ClassificationMetrics {
  const k = labelNames.length;
  const n = actual.length;
  if (predicted.length !== n) {
    throw new RangeError(`actual has ${n} samples, predicted has ${predicted.length}`);
  }
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const a = actual[i] as number;
    const p = predicted[i] as number;
    const row = matrix[a];
    if (row === undefined || p < 0 || p >= k || !Number.isInteger(p)) {
      throw new RangeError(`sample ${i}: class out of range (actual ${a}, predicted ${p})`);
    }
    row[p] = (row[p] as number) + 1;
    if (a === p) correct++;
  }
  const perClass = labelNames.map((label, c): ClassMetrics => {
    const tp = matrix[c]![c]!;
    const support = matrix[c]!.reduce((s, v) => s + v, 0);
    const predictedAs = matrix.reduce((s, row) => s + row[c]!, 0);
    const precision = predictedAs > 0 ? tp / predictedAs : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  let majority = 0;
  for (let c = 1; c < k; c++) if (perClass[c]!.support > perClass[majority]!.support) majority = c;
  const scores = scoreMatrix(matrix);
  let trainMajority: ClassificationMetrics['train_majority'] = null;
  let chance: number | null = null;
  const tc = options.trainCounts;
  if (tc !== undefined && tc.length === k) {
    let m = 0;
    for (let c = 1; c < k; c++) if ((tc[c] as number) > (tc[m] as number)) m = c;
    // A constant predictor of class m: every sample of this set lands in column m.
    const constant = matrix.map((row) => row.map((_, c) => (c === m ? row.reduce((s, v) => s + v, 0) : 0)));
    const cs = scoreMatrix(constant);
    trainMajority = { class: labelNames[m] ?? String(m), accuracy: cs.accuracy, balanced_accuracy: cs.balanced, macro_f1: cs.macroF1 };
    const trainTotal = tc.reduce((s, v) => s + v, 0);
    chance = n > 0 && trainTotal > 0 ? perClass.reduce((s, pc, c) => s + ((tc[c] as number) / trainTotal) * (pc.support / n), 0) : 0;
  }
  return {
    samples: n,
    accuracy: n > 0 ? correct / n : 0,
    per_class: perClass,
    confusion_matrix: matrix,
    baseline_accuracy: n > 0 ? perClass[majority]!.support / n : 0,
    baseline_class: labelNames[majority] ?? String(majority),
    balanced_accuracy: scores.balanced,
    macro_f1: scores.macroF1,
    cohen_kappa: scores.kappa,
    train_majority: trainMajority,
    chance_accuracy: chance,
  };
}
