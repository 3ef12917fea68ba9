import { realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { MODEL_REF_PATTERN } from '../../contracts/patterns.js';
import { ModelBundleError } from './model-bundle-error.js';

/**
 * A model reference: `{strategy}/{timeframe}_v{N}`, one version folder inside KTRDR_MODELS_DIR.
 * Requests carry references, never paths, so each host resolves them in its own models dir and
 * nobody can make a worker open a file elsewhere (MODEL_REF_PATTERN, a wire contract).
 */
const MODEL_REF = new RegExp(MODEL_REF_PATTERN);

/** `{strategy}/{timeframe}_v{N}`. */
export function modelRef(strategyName: string, timeframe: string, version: number): string {
  return `${strategyName}/${timeframe}_v${version}`;
}

/** The reference of a version folder inside `modelsDir` (e.g. what resolveLatestBundle returned). */
export function modelRefOfDir(modelsDir: string, dir: string): string {
  return relative(modelsDir, dir).split(sep).join('/');
}

/**
 * The version folder `ref` names inside `modelsDir`.
 *
 * @throws RangeError when `ref` is not a reference (absolute path, `..`, other shapes)
 * @throws ModelBundleError `MODEL_BUNDLE_NOT_FOUND` when the folder does not exist, or resolves
 *   (through a symlink) outside `modelsDir`
 */
export async function resolveModelRef(modelsDir: string, ref: string): Promise<string> {
  if (!MODEL_REF.test(ref)) {
    throw new RangeError(`'${ref.slice(0, 100)}' is not a model reference: expected {strategy}/{timeframe}_v{N}, e.g. rsi_macd_1h/1h_v3`);
  }
  const dir = join(modelsDir, ...ref.split('/'));
  const notFound = () => new ModelBundleError('MODEL_BUNDLE_NOT_FOUND', ref, `model '${ref}' not found in the models directory`);
  let real: string;
  let root: string;
  try {
    if (!(await stat(dir)).isDirectory()) throw notFound();
    [real, root] = await Promise.all([realpath(dir), realpath(modelsDir)]);
  } catch (err) {
    if (err instanceof ModelBundleError) throw err;
    throw notFound();
  }
  if (!real.startsWith(root + sep)) throw notFound();
  return dir;
}
