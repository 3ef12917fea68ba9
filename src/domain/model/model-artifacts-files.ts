import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { ModelBundleError } from './model-bundle-error.js';

/** File names of the tfjs part of a bundle (the standard tfjs "layers model" layout). */
export const MODEL_JSON_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

const BYTES_PER_DTYPE: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/**
 * Writes a layers model as `model.json` + `weights.bin` into an existing folder, through a
 * custom tfjs save handler (pure `@tensorflow/tfjs` has no `file://` handler in Node). The
 * files are the standard tfjs format, loadable by `tf.loadLayersModel` from any tfjs runtime.
 */
export async function writeModelArtifacts(model: tfjs.LayersModel, dir: string): Promise<void> {
  const handler: tfjs.io.IOHandler = {
    save: async (artifacts) => {
      if (artifacts.modelTopology instanceof ArrayBuffer || artifacts.modelTopology === undefined) {
        throw new Error('only JSON model topologies can be saved');
      }
      const weightData = toBuffer(artifacts.weightData);
      const modelJson: tfjs.io.ModelJSON = {
        modelTopology: artifacts.modelTopology,
        ...(artifacts.format !== undefined ? { format: artifacts.format } : {}),
        ...(artifacts.generatedBy !== undefined ? { generatedBy: artifacts.generatedBy } : {}),
        ...(artifacts.convertedBy !== undefined ? { convertedBy: artifacts.convertedBy } : {}),
        ...(artifacts.trainingConfig !== undefined ? { trainingConfig: artifacts.trainingConfig } : {}),
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
      };
      const json = JSON.stringify(modelJson);
      await writeFile(join(dir, WEIGHTS_FILE), weightData);
      await writeFile(join(dir, MODEL_JSON_FILE), json);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: Buffer.byteLength(json),
          weightDataBytes: weightData.byteLength,
        },
      };
    },
  };
  await model.save(handler);
}

/**
 * Reads `model.json` + its weight files from a folder into tfjs model artifacts, checking that
 * the weight bytes match the manifest.
 *
 * @throws ModelBundleError `MODEL_BUNDLE_INVALID` when a file is missing, unparsable or the wrong size.
 */
export async function readModelArtifacts(dir: string): Promise<tfjs.io.ModelArtifacts> {
  const jsonPath = join(dir, MODEL_JSON_FILE);
  const modelJson = await readJsonFile<tfjs.io.ModelJSON>(jsonPath);
  if (typeof modelJson !== 'object' || modelJson === null || typeof modelJson.modelTopology !== 'object') {
    throw new ModelBundleError('MODEL_BUNDLE_INVALID', jsonPath, `${jsonPath} has no modelTopology`);
  }
  const manifest = Array.isArray(modelJson.weightsManifest) ? modelJson.weightsManifest : [];
  const weightSpecs: tfjs.io.WeightsManifestEntry[] = [];
  const chunks: Buffer[] = [];
  for (const group of manifest) {
    weightSpecs.push(...group.weights);
    for (const rel of group.paths) {
      // Weight paths come from the file; refuse anything that leaves the bundle folder.
      if (rel.includes('..') || rel.startsWith('/') || rel.includes('\\')) {
        throw new ModelBundleError('MODEL_BUNDLE_INVALID', jsonPath, `${jsonPath}: unsafe weights path '${rel}'`);
      }
      const p = join(dir, rel);
      try {
        chunks.push(await readFile(p));
      } catch (err) {
        throw new ModelBundleError('MODEL_BUNDLE_INVALID', p, `missing or unreadable weights file ${p}`, { cause: err });
      }
    }
  }
  const weights = Buffer.concat(chunks);
  const expected = weightSpecs.reduce((sum, w) => {
    const dtype = w.quantization?.dtype ?? w.dtype;
    return sum + w.shape.reduce((a, b) => a * b, 1) * (BYTES_PER_DTYPE[dtype] ?? Number.NaN);
  }, 0);
  if (expected !== weights.byteLength) {
    throw new ModelBundleError(
      'MODEL_BUNDLE_INVALID',
      join(dir, WEIGHTS_FILE),
      `weights in ${dir} are ${weights.byteLength} bytes, the manifest describes ${expected}`,
    );
  }
  return {
    modelTopology: modelJson.modelTopology,
    ...(modelJson.format !== undefined ? { format: modelJson.format } : {}),
    ...(modelJson.generatedBy !== undefined ? { generatedBy: modelJson.generatedBy } : {}),
    ...(modelJson.convertedBy !== undefined ? { convertedBy: modelJson.convertedBy } : {}),
    weightSpecs,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
  };
}

/**
 * Reads and parses a JSON file.
 *
 * @throws ModelBundleError `MODEL_BUNDLE_INVALID` when it is missing or not valid JSON.
 */
export async function readJsonFile<T = unknown>(path: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ModelBundleError('MODEL_BUNDLE_INVALID', path, `missing or unreadable file ${path}`, { cause: err });
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new ModelBundleError('MODEL_BUNDLE_INVALID', path, `corrupt JSON in ${path}`, { cause: err });
  }
}

function toBuffer(data: tfjs.io.WeightData | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  if (Array.isArray(data)) return Buffer.concat(data.map((b) => Buffer.from(b)));
  return Buffer.from(data);
}
