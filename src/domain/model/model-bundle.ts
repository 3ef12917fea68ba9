import { chmod, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import type { ZScoreNormalization } from './feature-normalization.js';
import { MODEL_JSON_FILE, readJsonFile, readModelArtifacts, writeModelArtifacts } from './model-artifacts-files.js';
import { ModelBundleError } from './model-bundle-error.js';
import {
  assertSafeSegment,
  isCode,
  isDirectory,
  LATEST_POINTER_SUFFIX,
  listVersions,
  readLatestPointer,
  switchLatestPointer,
  versionDirName,
} from './model-bundle-layout.js';
import type { Tf } from './tf-backend.js';

/** Bundle format written into `metadata.json`; bump when the layout changes incompatibly. */
export const MODEL_BUNDLE_FORMAT = 'ktrdr-model-bundle/1';

/**
 * Facts about the training run, written to `metadata.json` as given (snake_case keys).
 * Any extra JSON-serialisable field is kept.
 */
export interface ModelBundleMetadata {
  readonly symbols?: readonly string[];
  readonly timeframes?: readonly string[];
  /** First / last bar used (ISO 8601). */
  readonly start_date?: string;
  readonly end_date?: string;
  /** Hash of the training data (see `computeDataHash`). */
  readonly data_hash?: string;
  /** TensorFlow.js backend that trained the model (`wasm`, `cpu`, `node`, `node-gpu`). */
  readonly backend?: string;
  readonly [key: string]: unknown;
}

/** `metadata.json` as stored: the caller's metadata plus what the bundle adds. */
export interface StoredModelMetadata extends ModelBundleMetadata {
  readonly format: string;
  readonly strategy_name: string;
  readonly timeframe: string;
  readonly version: number;
  /** ISO 8601 time the bundle was written. */
  readonly created_at: string;
  readonly feature_count: number;
}

/** `features.json`: the model's input columns, in order, and how they are normalised. */
export interface StoredFeatures {
  readonly feature_names: readonly string[];
  readonly normalization: ZScoreNormalization | null;
}

/** Inputs of {@link saveModelBundle}. */
export interface SaveModelBundleOptions {
  /** Root folder of all bundles (KTRDR_MODELS_DIR). Created when missing. */
  readonly modelsDir: string;
  readonly strategyName: string;
  /** Timeframe label of the bundle, e.g. `1h` (used in folder names). */
  readonly timeframe: string;
  readonly model: tfjs.LayersModel;
  /** The strategy configuration, stored verbatim in `config.json`. */
  readonly strategyConfig: unknown;
  /** Model input columns in order; length must equal the model's input width. */
  readonly featureNames: readonly string[];
  readonly normalization: ZScoreNormalization | null;
  /** Training history and test metrics, stored verbatim in `metrics.json`. */
  readonly metrics: unknown;
  readonly metadata: ModelBundleMetadata;
  /** Aborting it before the bundle is published discards it (the signal's reason is thrown). */
  readonly signal?: AbortSignal;
}

/** Where a bundle was saved. */
export interface SavedModelBundle {
  /** Absolute or modelsDir-relative path of the version folder `{timeframe}_v{N}`. */
  readonly path: string;
  readonly version: number;
  /** False when `_latest` already pointed at a newer version saved concurrently. */
  readonly latestUpdated: boolean;
}

/** A bundle loaded into memory. The caller owns `model` and must `dispose()` it. */
export interface LoadedModelBundle {
  /** The version folder it was loaded from (pointer resolved). */
  readonly path: string;
  readonly version: number;
  readonly model: tfjs.LayersModel;
  readonly featureNames: readonly string[];
  readonly normalization: ZScoreNormalization | null;
  readonly config: unknown;
  readonly metadata: StoredModelMetadata;
  /** Content of `metrics.json`, or null when the file is absent. */
  readonly metrics: unknown;
}

/**
 * Saves a trained model with everything needed to use it later, as a new version:
 * `{modelsDir}/{strategy}/{timeframe}_v{N}/` holding `model.json`, `weights.bin`, `config.json`,
 * `features.json`, `metrics.json` and `metadata.json`.
 *
 * All files are written into a hidden temp folder next to the versions, which is then renamed to
 * the next free `_v{N}` (a concurrent save that claimed N first makes it retry with N+1). Only
 * after that rename succeeded is `{timeframe}_latest.json` switched (atomically) to the new
 * version, so a reader following `_latest` never sees a partial bundle. On any failure the temp
 * folder is removed and `_latest` is left as it was.
 *
 * @throws ModelBundleError `MODEL_BUNDLE_WRITE_FAILED` (with `cause`) when writing fails.
 * @throws the signal's reason when `signal` aborts before the bundle is published.
 * @throws RangeError for an unsafe strategy name/timeframe or a feature count that does not
 *   match the model.
 */
export async function saveModelBundle(options: SaveModelBundleOptions): Promise<SavedModelBundle> {
  const { modelsDir, strategyName, timeframe, model, featureNames, normalization, signal } = options;
  assertSafeSegment('strategy name', strategyName);
  assertSafeSegment('timeframe', timeframe);
  const inputWidth = model.inputs[0]?.shape[1];
  if (inputWidth !== featureNames.length) {
    throw new RangeError(`model takes ${String(inputWidth)} features, ${featureNames.length} feature names given`);
  }
  if (normalization && (normalization.mean.length !== featureNames.length || normalization.std.length !== featureNames.length)) {
    throw new RangeError(`normalization has ${normalization.mean.length} columns, ${featureNames.length} features given`);
  }
  signal?.throwIfAborted();

  const strategyDir = join(modelsDir, strategyName);
  let tmpDir: string | undefined;
  try {
    // Readable by others (0755 folders): a backend or a worker under another uid serves or reads them.
    await mkdir(strategyDir, { recursive: true, mode: 0o755 });
    tmpDir = await mkdtemp(join(strategyDir, `.tmp-${timeframe}-`));
    await chmod(tmpDir, 0o755); // mkdtemp makes it 0700
    const createdAt = new Date().toISOString();
    const features: StoredFeatures = { feature_names: [...featureNames], normalization };
    await writeModelArtifacts(model, tmpDir);
    await writeJson(join(tmpDir, 'config.json'), options.strategyConfig ?? null);
    await writeJson(join(tmpDir, 'features.json'), features);
    await writeJson(join(tmpDir, 'metrics.json'), options.metrics ?? null);

    // Claim the next free version by renaming; a rename onto an existing version fails.
    let version = ((await listVersions(strategyDir, timeframe)).at(-1) ?? 0) + 1;
    for (let attempt = 0; ; attempt++) {
      const metadata: StoredModelMetadata = {
        ...options.metadata,
        format: MODEL_BUNDLE_FORMAT,
        strategy_name: strategyName,
        timeframe,
        version,
        created_at: createdAt,
        feature_count: featureNames.length,
      };
      await writeJson(join(tmpDir, 'metadata.json'), metadata);
      signal?.throwIfAborted();
      const finalDir = join(strategyDir, versionDirName(timeframe, version));
      try {
        await rename(tmpDir, finalDir);
      } catch (err) {
        const taken = isCode(err, 'EEXIST') || isCode(err, 'ENOTEMPTY') || isCode(err, 'EPERM');
        if (!taken || attempt >= 20 || !(await isDirectory(finalDir))) throw err;
        version++;
        continue;
      }
      tmpDir = undefined;
      const latestUpdated = await switchLatestPointer(strategyDir, timeframe, version);
      return { path: finalDir, version, latestUpdated };
    }
  } catch (err) {
    if (signal?.aborted && err === signal.reason) throw err;
    if (err instanceof RangeError) throw err;
    throw new ModelBundleError(
      'MODEL_BUNDLE_WRITE_FAILED',
      strategyDir,
      `saving model bundle ${strategyName}/${timeframe} failed: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  } finally {
    if (tmpDir !== undefined) await rm(tmpDir, { recursive: true, force: true });
  }
}

/**
 * Path of the version folder `{timeframe}_latest.json` points at, or undefined when there is no
 * pointer or its target is gone.
 *
 * @throws ModelBundleError `MODEL_BUNDLE_INVALID` when the pointer file is corrupt.
 */
export async function resolveLatestBundle(
  modelsDir: string,
  strategyName: string,
  timeframe: string,
): Promise<string | undefined> {
  assertSafeSegment('strategy name', strategyName);
  assertSafeSegment('timeframe', timeframe);
  const strategyDir = join(modelsDir, strategyName);
  const pointer = await readLatestPointer(join(strategyDir, timeframe + LATEST_POINTER_SUFFIX), timeframe);
  if (pointer === undefined) return undefined;
  const dir = join(strategyDir, pointer.dir);
  return (await isFile(join(dir, MODEL_JSON_FILE))) ? dir : undefined;
}

/**
 * Loads a bundle from a version folder, from a `{timeframe}_latest.json` pointer file, or from
 * `{timeframe}_latest` (the pointer path without `.json`).
 *
 * @throws ModelBundleError `MODEL_BUNDLE_NOT_FOUND` when nothing is at `path`;
 *   `MODEL_BUNDLE_INVALID` when a file is missing or corrupt, or features do not fit the model.
 */
export async function loadModelBundle(tf: Tf, path: string): Promise<LoadedModelBundle> {
  const dir = await resolveBundleDir(path);
  const features = await readJsonFile<StoredFeatures>(join(dir, 'features.json'));
  const metadata = await readJsonFile<StoredModelMetadata>(join(dir, 'metadata.json'));
  const config = await readJsonFile(join(dir, 'config.json'));
  const metrics = (await isFile(join(dir, 'metrics.json'))) ? await readJsonFile(join(dir, 'metrics.json')) : null;
  const featuresPath = join(dir, 'features.json');
  if (!Array.isArray(features?.feature_names) || !features.feature_names.every((n) => typeof n === 'string')) {
    throw new ModelBundleError('MODEL_BUNDLE_INVALID', featuresPath, `${featuresPath} has no feature_names list`);
  }
  const cols = features.feature_names.length;
  const norm = features.normalization ?? null;
  if (norm !== null && !(norm.method === 'zscore' && isNumbers(norm.mean, cols) && isNumbers(norm.std, cols))) {
    throw new ModelBundleError('MODEL_BUNDLE_INVALID', featuresPath, `${featuresPath} has an invalid normalization`);
  }
  if (typeof metadata !== 'object' || metadata === null || !Number.isInteger(metadata.version)) {
    throw new ModelBundleError('MODEL_BUNDLE_INVALID', join(dir, 'metadata.json'), `${dir}/metadata.json has no version`);
  }
  const artifacts = await readModelArtifacts(dir);
  let model: tfjs.LayersModel;
  try {
    model = await tf.loadLayersModel({ load: async () => artifacts });
  } catch (err) {
    throw new ModelBundleError('MODEL_BUNDLE_INVALID', join(dir, MODEL_JSON_FILE), `cannot rebuild the model in ${dir}`, {
      cause: err,
    });
  }
  if (model.inputs[0]?.shape[1] !== cols) {
    model.dispose();
    throw new ModelBundleError('MODEL_BUNDLE_INVALID', featuresPath, `${dir}: model input width ≠ ${cols} features`);
  }
  return {
    path: dir,
    version: metadata.version,
    model,
    featureNames: features.feature_names,
    normalization: norm,
    config,
    metadata,
    metrics,
  };
}

async function resolveBundleDir(path: string): Promise<string> {
  if (await isDirectory(path)) return path;
  const pointerPath = (await isFile(path)) ? path : (await isFile(path + '.json')) ? path + '.json' : undefined;
  if (pointerPath === undefined) {
    throw new ModelBundleError('MODEL_BUNDLE_NOT_FOUND', path, `no model bundle at ${path}`);
  }
  const pointer = await readLatestPointer(pointerPath);
  if (pointer === undefined) throw new ModelBundleError('MODEL_BUNDLE_NOT_FOUND', path, `no model bundle at ${path}`);
  const dir = join(dirname(pointerPath), pointer.dir);
  if (!(await isDirectory(dir))) {
    throw new ModelBundleError('MODEL_BUNDLE_NOT_FOUND', dir, `${basename(pointerPath)} points at missing ${dir}`);
  }
  return dir;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(value, null, 2) + '\n');
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function isNumbers(value: unknown, length: number): boolean {
  return Array.isArray(value) && value.length === length && value.every((v) => typeof v === 'number');
}
