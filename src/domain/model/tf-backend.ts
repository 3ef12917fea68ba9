import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';

/** The TensorFlow.js namespace (`@tensorflow/tfjs` or a package that re-exports it, like tfjs-node). */
export type Tf = typeof tfjs;

/** Backends {@link initTensorflow} knows, in the order `'auto'` tries them. */
export type TfBackendName = 'node-gpu' | 'node' | 'wasm' | 'cpu';

/** What the caller asks for: one backend, or `'auto'` for the fastest one that loads. */
export type TfBackendPreference = 'auto' | TfBackendName;

/** One backend that `initTensorflow` tried, and why it was not used. */
export interface TfBackendAttempt {
  readonly backend: TfBackendName;
  /** The reason it failed; absent for the backend that was activated. */
  readonly error?: string;
}

/** An initialised TensorFlow.js: the namespace to call, and which backend is active. */
export interface TensorflowRuntime {
  readonly tf: Tf;
  /** The backend that is active (our name; tfjs itself calls node/node-gpu `tensorflow`). */
  readonly backend: TfBackendName;
  /** Every backend tried, in order, the active one last. Useful for a startup log line. */
  readonly attempts: readonly TfBackendAttempt[];
}

/** No requested TensorFlow.js backend could be started. */
export class TensorflowBackendError extends Error {
  readonly code = 'TF_BACKEND_UNAVAILABLE';
  constructor(readonly attempts: readonly TfBackendAttempt[]) {
    super(
      'No TensorFlow.js backend could be started: ' +
        attempts.map((a) => `${a.backend}: ${a.error ?? 'ok'}`).join('; '),
    );
    this.name = 'TensorflowBackendError';
  }
}

const AUTO_ORDER: readonly TfBackendName[] = ['node-gpu', 'node', 'wasm', 'cpu'];

/**
 * Loads TensorFlow.js and activates a backend.
 *
 * `'auto'` (the default) tries, in order:
 * 1. `@tensorflow/tfjs-node-gpu` and 2. `@tensorflow/tfjs-node` — optional native packages an
 *    operator may install on a GPU/CPU host; they are not dependencies of ktrdr, so they are
 *    loaded with a dynamic `import()` and a failure (not installed, missing CUDA) just moves on;
 * 3. `wasm` — `@tensorflow/tfjs-backend-wasm`, whose `.wasm` binaries are located on disk next
 *    to the package (Node cannot fetch them by URL);
 * 4. `cpu` — the pure-JS backend, always available.
 *
 * A named preference tries only that backend and throws when it cannot start.
 * Works in worker threads: it keeps no state of its own (tfjs keeps one engine per thread, and
 * calling this again in the same thread just re-activates the backend).
 *
 * Side effect: switches tfjs into production mode (no debug checks, no "install tfjs-node" banner).
 *
 * @throws TensorflowBackendError when no backend could be activated.
 */
export async function initTensorflow(preferred: TfBackendPreference = 'auto'): Promise<TensorflowRuntime> {
  const order = preferred === 'auto' ? AUTO_ORDER : [preferred];
  const attempts: TfBackendAttempt[] = [];
  for (const backend of order) {
    try {
      const tf = await activate(backend);
      attempts.push({ backend });
      return { tf, backend, attempts };
    } catch (err) {
      attempts.push({ backend, error: err instanceof Error ? err.message : String(err) });
    }
  }
  throw new TensorflowBackendError(attempts);
}

async function activate(backend: TfBackendName): Promise<Tf> {
  switch (backend) {
    case 'node-gpu':
      return activateNative('@tensorflow/tfjs-node-gpu');
    case 'node':
      return activateNative('@tensorflow/tfjs-node');
    case 'wasm':
      return activateWasm();
    case 'cpu': {
      const tf = await loadTfjs();
      await setBackendOrThrow(tf, 'cpu');
      return tf;
    }
  }
}

async function loadTfjs(): Promise<Tf> {
  const tf: Tf = await import('@tensorflow/tfjs');
  tf.enableProdMode();
  return tf;
}

async function activateNative(packageName: string): Promise<Tf> {
  // A string variable keeps TypeScript from resolving a package that is usually not installed.
  const specifier: string = packageName;
  const mod = (await import(specifier)) as Tf & { default?: Tf };
  // tfjs-node is CommonJS: depending on the loader its API is on the namespace or on `default`.
  const tf = typeof mod.setBackend === 'function' ? mod : mod.default;
  if (tf === undefined || typeof tf.setBackend !== 'function') {
    throw new Error(`${packageName} does not export the TensorFlow.js API`);
  }
  tf.enableProdMode();
  await setBackendOrThrow(tf, 'tensorflow');
  return tf;
}

async function activateWasm(): Promise<Tf> {
  const tf = await loadTfjs();
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (tf.findBackendFactory('wasm') == null) {
    // The wasm package registered itself with a different copy of tfjs-core than ours.
    throw new Error('@tensorflow/tfjs-backend-wasm registered with another @tensorflow/tfjs-core instance');
  }
  // setWasmPaths throws once the backend is initialised, so only set it the first time per thread.
  if (tf.findBackend('wasm') == null) {
    const require = createRequire(import.meta.url);
    const distDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(distDir + sep);
  }
  await setBackendOrThrow(tf, 'wasm');
  return tf;
}

async function setBackendOrThrow(tf: Tf, name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) {
    throw new Error(`tf.setBackend('${name}') failed (active: ${tf.getBackend()})`);
  }
}
