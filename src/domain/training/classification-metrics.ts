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
}

/**
 * Accuracy, per-class precision/recall/F1, confusion matrix and majority-class baseline.
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
  return {
    samples: n,
    accuracy: n > 0 ? correct / n : 0,
    per_class: perClass,
    confusion_matrix: matrix,
    baseline_accuracy: n > 0 ? perClass[majority]!.support / n : 0,
    baseline_class: labelNames[majority] ?? String(majority),
  };
}
