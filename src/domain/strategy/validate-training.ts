import { DocumentReader, childPath, isPlainObject, type PlainObject } from './document-reader.js';
import type { TrainingConfig } from './strategy-config.js';
import { DATA_SPLIT_TOLERANCE, STRATEGY_DEFAULTS } from './strategy-defaults.js';

/**
 * Validates `training:`. KTRDR files put epochs, batch_size, learning_rate and early_stopping
 * under `model.training`; those are used when `training:` does not set them.
 */
export function validateTraining(r: DocumentReader, value: unknown, legacyModelTraining: unknown): TrainingConfig | undefined {
  const path = 'training';
  const d = STRATEGY_DEFAULTS.training;
  const obj = r.object(value, path, false) ?? {};
  r.keys(obj, path, ['epochs', 'batch_size', 'learning_rate', 'labels', 'data_split', 'early_stopping', 'seed'], ['method']);
  if (obj['method'] !== undefined) r.oneOf(obj, 'method', path, ['supervised'] as const);

  // Fall back on model.training.* (KTRDR layout) when present and well-formed.
  const legacyPath = 'model.training';
  const legacy = isPlainObject(legacyModelTraining) ? legacyModelTraining : {};
  if (legacyModelTraining !== undefined && legacyModelTraining !== null && !isPlainObject(legacyModelTraining)) {
    r.add(legacyPath, 'expected a mapping');
  }
  r.keys(legacy, legacyPath, ['epochs', 'batch_size', 'learning_rate', 'early_stopping'], ['optimizer']);
  const pick = (key: string): [PlainObject, string] => (obj[key] === undefined && legacy[key] !== undefined ? [legacy, legacyPath] : [obj, path]);

  const [eo, ep] = pick('epochs');
  const epochs = r.number(eo, 'epochs', ep, { integer: true, min: 1, default: d.epochs });
  const [bo, bp] = pick('batch_size');
  const batchSize = r.number(bo, 'batch_size', bp, { integer: true, min: 1, default: d.batchSize });
  const [lo, lp] = pick('learning_rate');
  const learningRate = r.number(lo, 'learning_rate', lp, { above: 0, max: 1, default: d.learningRate });

  const labelsPath = childPath(path, 'labels');
  const labelsObj = r.object(obj['labels'], labelsPath, false) ?? {};
  r.keys(labelsObj, labelsPath, ['source', 'zigzag_threshold', 'label_lookahead']);
  const source = r.oneOf(labelsObj, 'source', labelsPath, ['zigzag'] as const, d.labelSource);
  const zigzagThreshold = r.number(labelsObj, 'zigzag_threshold', labelsPath, { above: 0, below: 1, default: d.zigzagThreshold });
  const labelLookahead = r.number(labelsObj, 'label_lookahead', labelsPath, { integer: true, min: 1, default: d.labelLookahead });

  const seed = obj['seed'] === undefined || obj['seed'] === null ? undefined : r.number(obj, 'seed', path, { integer: true, min: 0, max: 4_294_967_295 });
  const dataSplit = readDataSplit(r, obj['data_split'], childPath(path, 'data_split'));
  const [so, sp] = pick('early_stopping');
  const earlyStopping = readEarlyStopping(r, so['early_stopping'], childPath(sp, 'early_stopping'));

  if (
    epochs === undefined || batchSize === undefined || learningRate === undefined || source === undefined ||
    zigzagThreshold === undefined || labelLookahead === undefined || dataSplit === undefined || earlyStopping === null ||
    (obj['seed'] !== undefined && obj['seed'] !== null && seed === undefined)
  ) {
    return undefined;
  }
  return {
    epochs,
    batch_size: batchSize,
    learning_rate: learningRate,
    labels: { source, zigzag_threshold: zigzagThreshold, label_lookahead: labelLookahead },
    data_split: dataSplit,
    ...(earlyStopping ? { early_stopping: earlyStopping } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
}

function readDataSplit(r: DocumentReader, value: unknown, path: string): TrainingConfig['data_split'] | undefined {
  const obj = r.object(value, path, false);
  if (obj === undefined) return { ...STRATEGY_DEFAULTS.training.dataSplit };
  r.keys(obj, path, ['train', 'validation', 'test']);
  const train = r.number(obj, 'train', path, { above: 0, max: 1 });
  const validation = r.number(obj, 'validation', path, { min: 0, max: 1 });
  const test = r.number(obj, 'test', path, { min: 0, max: 1 });
  if (train === undefined || validation === undefined || test === undefined) return undefined;
  const sum = train + validation + test;
  if (Math.abs(sum - 1) > DATA_SPLIT_TOLERANCE) {
    r.add(path, `train + validation + test must sum to 1, got ${train} + ${validation} + ${test} = ${Number(sum.toFixed(6))}`);
    return undefined;
  }
  return { train, validation, test };
}

/** undefined = no early stopping; null = invalid (reported). */
function readEarlyStopping(r: DocumentReader, value: unknown, path: string): TrainingConfig['early_stopping'] | null {
  const obj = r.object(value, path, false);
  if (obj === undefined) return value === undefined || value === null ? undefined : null;
  r.keys(obj, path, ['patience', 'min_delta', 'enabled']);
  const d = STRATEGY_DEFAULTS.training;
  const enabled = r.boolean(obj, 'enabled', path, true);
  const patience = r.number(obj, 'patience', path, { integer: true, min: 1, default: d.earlyStoppingPatience });
  const minDelta = r.number(obj, 'min_delta', path, { min: 0, default: d.earlyStoppingMinDelta });
  if (enabled === undefined || patience === undefined || minDelta === undefined) return null;
  return enabled ? { patience, min_delta: minDelta } : undefined;
}
