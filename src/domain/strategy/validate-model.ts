import { DocumentReader, childPath, itemPath } from './document-reader.js';
import { ACTIVATIONS, type ModelConfig } from './strategy-config.js';
import { STRATEGY_DEFAULTS } from './strategy-defaults.js';

/** Keys KTRDR files carry under `model:` that this format accepts and ignores (or reads elsewhere). */
const LEGACY_MODEL_KEYS = ['features', 'training'];

/** Validates `model:` (optional as a whole; every field has a default). */
export function validateModel(r: DocumentReader, value: unknown): ModelConfig | undefined {
  const path = 'model';
  const d = STRATEGY_DEFAULTS.model;
  const obj = r.object(value, path, false) ?? {};
  r.keys(obj, path, ['type', 'architecture'], LEGACY_MODEL_KEYS);
  const type = r.oneOf(obj, 'type', path, ['mlp'] as const, d.type);
  const archPath = childPath(path, 'architecture');
  const arch = r.object(obj['architecture'], archPath, false) ?? {};
  r.keys(arch, archPath, ['hidden_layers', 'activation', 'dropout', 'output_activation']);
  const hiddenLayers = readHiddenLayers(r, arch['hidden_layers'], childPath(archPath, 'hidden_layers'));
  const activation = r.oneOf(arch, 'activation', archPath, ACTIVATIONS, d.activation);
  const dropout = r.number(arch, 'dropout', archPath, { min: 0, below: 1, default: d.dropout });
  // KTRDR writes the output activation explicitly; the model is always a softmax classifier.
  r.oneOf(arch, 'output_activation', archPath, ['softmax'] as const, 'softmax');
  if (type === undefined || hiddenLayers === undefined || activation === undefined || dropout === undefined) return undefined;
  return { type, architecture: { hidden_layers: hiddenLayers, activation, dropout } };
}

function readHiddenLayers(r: DocumentReader, value: unknown, path: string): number[] | undefined {
  if (value === undefined || value === null) return [...STRATEGY_DEFAULTS.model.hiddenLayers];
  if (!Array.isArray(value) || value.length === 0) {
    r.add(path, 'expected a non-empty list of layer sizes, e.g. [64, 32]');
    return undefined;
  }
  const sizes = value.map((v: unknown, i) => r.checkNumber(v, itemPath(path, i), { integer: true, min: 1 }));
  return sizes.every((s) => s !== undefined) ? (sizes as number[]) : undefined;
}
