import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SHA256_HEADER } from '../../contracts/artifacts.js';
import { InvalidRequestError, toError } from '../../contracts/errors.js';
import { FileSha256Cache } from '../../domain/data/file-sha256.js';
import { installDataFile } from '../../domain/data/install-data-file.js';
import { ohlcvPath } from '../../domain/data/data-files.js';
import { BUNDLE_ARCHIVE_CONTENT_TYPE, bundleDirSha256, packBundle, readBundleFiles, unpackBundle } from '../../domain/model/bundle-archive.js';
import { installBundle, parseModelRef, publishBundleVersion, withBundleVersion, type InstalledBundle } from '../../domain/model/bundle-install.js';
import { ModelBundleError } from '../../domain/model/model-bundle-error.js';
import { requiredTimeframes } from '../../domain/features/build-features.js';
import type { StrategyConfig } from '../../domain/strategy/strategy-config.js';
import { checkDataCoverage } from '../request-checks.js';

/** What a worker's jobs get in `settings` that this class reads. */
export interface WorkerArtifactSettings {
  dataDir: string;
  modelsDir: string;
  /** The backend, to fetch what this host lacks; without it, only local files are used. */
  apiUrl?: string | undefined;
  apiToken?: string | undefined;
}

export interface WorkerArtifactsOptions {
  /** Timeout of one download or upload. @defaultValue 120000 */
  requestTimeoutMs?: number;
  /** How long an upload keeps retrying an unreachable backend. @defaultValue 300000 */
  uploadBudgetMs?: number;
  /** First retry delay; doubles (with jitter) up to maxBackoffMs. @defaultValue 500 */
  initialBackoffMs?: number;
  /** @defaultValue 10000 */
  maxBackoffMs?: number;
}

/** What {@link WorkerArtifacts.publishModel} did with a bundle. */
export interface PublishedModel extends InstalledBundle {
  /** Set when the backend could not take the bundle: it was kept in this host's models dir only. */
  readonly uploadError?: string;
}

/**
 * A worker's side of models and data by reference: no shared mount between hosts. Before a job
 * runs, `ensureData` / `ensureModel` make sure this host's KTRDR_DATA_DIR / KTRDR_MODELS_DIR hold
 * exactly the files (by SHA-256) the backend checked the request against, fetching and installing
 * them atomically when missing or different; `checkCoverage` checks the dates against the data
 * (cached by the files' mtime and size). After a training, `publishModel` uploads the bundle, so
 * the backend numbers and stores it and other workers can fetch it.
 */
export class WorkerArtifacts {
  readonly #s: WorkerArtifactSettings;
  readonly #opts: Required<WorkerArtifactsOptions>;
  readonly #hashes = new FileSha256Cache();
  readonly #coverageOk = new Set<string>();

  constructor(settings: WorkerArtifactSettings, options: WorkerArtifactsOptions = {}) {
    this.#s = settings;
    this.#opts = { requestTimeoutMs: 120_000, uploadBudgetMs: 300_000, initialBackoffMs: 500, maxBackoffMs: 10_000, ...options };
  }

  /**
   * Makes `{dataDir}/{symbol}_{timeframe}.csv` hash to `sha256`, fetching the backend's file when
   * it is missing or different. @returns whether it was fetched.
   * @throws InvalidRequestError (field `symbol`) when the backend has no such file or it changed.
   */
  async ensureData(symbol: string, timeframe: string, sha256: string): Promise<boolean> {
    const path = ohlcvPath(this.#s.dataDir, symbol, timeframe);
    if ((await this.#hashes.sha256(path)) === sha256 || this.#s.apiUrl === undefined) return false;
    const res = await this.#get(`/api/v1/data/${encodeURIComponent(symbol)}/${encodeURIComponent(timeframe)}?sha256=${sha256}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (!res.ok) throw InvalidRequestError.field('symbol', `fetching ${symbol}_${timeframe}.csv from the backend: ${detailOf(bytes, res.status)}`);
    await installDataFile(this.#s.dataDir, symbol, timeframe, bytes, sha256);
    return true;
  }

  /**
   * Makes `{modelsDir}/{ref}` the bundle with identity `sha256`, fetching it from the backend when
   * missing or different. @returns whether it was fetched.
   * @throws InvalidRequestError (field `model_path`) when the backend has no such model or its
   *   bytes do not hash to `sha256`.
   */
  async ensureModel(ref: string, sha256: string): Promise<boolean> {
    const { strategyName, timeframe, version } = parseModelRef(ref);
    const dir = join(this.#s.modelsDir, ...ref.split('/'));
    const local = await bundleDirSha256(dir).catch(() => undefined);
    if (local === sha256 || this.#s.apiUrl === undefined) return false;
    const res = await this.#get(`/api/v1/models/${encodeURIComponent(strategyName)}/${timeframe}_v${version}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (!res.ok) throw InvalidRequestError.field('model_path', `fetching model ${ref} from the backend: ${detailOf(bytes, res.status)}`);
    try {
      const { files } = unpackBundle(bytes, sha256);
      await installBundle(this.#s.modelsDir, ref, files, sha256);
    } catch (err) {
      if (err instanceof ModelBundleError) throw InvalidRequestError.field('model_path', `model ${ref} from the backend: ${err.message}`);
      throw err;
    }
    return true;
  }

  /**
   * Every timeframe the strategy needs has data for `symbol` inside the dates (a 400 naming the
   * field otherwise). A check that passed is remembered while the files keep their mtime and size.
   */
  async checkCoverage(strategy: StrategyConfig, symbol: string, startDate: string | undefined, endDate: string | undefined): Promise<void> {
    const timeframes = requiredTimeframes(strategy);
    const stamps = await Promise.all(
      timeframes.map(async (tf) => {
        try {
          const st = await stat(ohlcvPath(this.#s.dataDir, symbol, tf));
          return `${st.mtimeMs}:${st.size}`;
        } catch {
          return 'missing';
        }
      }),
    );
    const key = JSON.stringify([timeframes, stamps, strategy.training_data.history_required ?? null, symbol, startDate, endDate]);
    if (!stamps.includes('missing') && this.#coverageOk.has(key)) return;
    checkDataCoverage(strategy, this.#s.dataDir, symbol, startDate, endDate);
    if (this.#coverageOk.size > 1024) this.#coverageOk.clear();
    this.#coverageOk.add(key);
  }

  /**
   * Publishes a bundle saved in a staging folder: uploads it to the backend (retrying with
   * backoff), which numbers and stores it, then installs the same bytes under the backend's
   * reference in this host's models dir. Without a backend, or when it never accepted the upload,
   * the bundle gets the next free version of this host's models dir (and `uploadError` says why).
   */
  async publishModel(stagedDir: string, strategyName: string, timeframe: string, isCancelled: () => boolean = () => false): Promise<PublishedModel> {
    const files = await readBundleFiles(stagedDir);
    let uploadError = 'no backend (KTRDR_API_URL) to upload to';
    if (this.#s.apiUrl !== undefined) {
      const archive = packBundle(files);
      const answer = await this.#upload(`/api/v1/models/${encodeURIComponent(strategyName)}/${timeframe}`, archive, isCancelled);
      if ('ref' in answer) {
        // The backend set metadata.json's version; the same rewrite here gives the same bytes.
        const numbered = withBundleVersion(files, answer.version);
        const installed = await installBundle(this.#s.modelsDir, answer.ref, numbered, answer.sha256);
        return { ...installed, written: true };
      }
      uploadError = answer.error;
    }
    return { ...(await publishBundleVersion(this.#s.modelsDir, strategyName, timeframe, files)), uploadError };
  }

  async #get(path: string): Promise<Response> {
    try {
      return await fetch(`${this.#s.apiUrl}${path}`, { headers: this.#headers(), signal: AbortSignal.timeout(this.#opts.requestTimeoutMs) });
    } catch (err) {
      // Not the request's fault: a 5xx, so the backend tries again (here later, or elsewhere).
      throw new Error(`cannot reach the backend at ${this.#s.apiUrl} to fetch ${path.split('?')[0]}: ${toError(err).message}`);
    }
  }

  async #upload(path: string, archive: Buffer, isCancelled: () => boolean): Promise<{ ref: string; sha256: string; version: number } | { error: string }> {
    const deadline = Date.now() + this.#opts.uploadBudgetMs;
    let delay = this.#opts.initialBackoffMs;
    let lastError = '';
    for (;;) {
      try {
        const res = await fetch(`${this.#s.apiUrl}${path}`, {
          method: 'POST',
          headers: { ...this.#headers(), 'content-type': BUNDLE_ARCHIVE_CONTENT_TYPE },
          body: archive,
          signal: AbortSignal.timeout(this.#opts.requestTimeoutMs),
        });
        const text = await res.text();
        if (res.ok) {
          const b = JSON.parse(text) as { model_path: string; model_sha256: string; version: number };
          return { ref: b.model_path, sha256: b.model_sha256, version: b.version };
        }
        lastError = `backend answered ${res.status}: ${detailOf(Buffer.from(text), res.status)}`;
        // A 4xx other than timeouts/rate limits will not change on retry.
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) return { error: lastError };
      } catch (err) {
        lastError = toError(err).message;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0 || isCancelled()) return { error: lastError };
      // Jitter keeps many workers from retrying in lockstep after a backend restart.
      await new Promise((r) => setTimeout(r, Math.min(remaining, delay * (0.5 + Math.random()))));
      delay = Math.min(delay * 2, this.#opts.maxBackoffMs);
    }
  }

  #headers(): Record<string, string> {
    return this.#s.apiToken ? { authorization: `Bearer ${this.#s.apiToken}` } : {};
  }
}

const instances = new WeakMap<object, WorkerArtifacts>();

/**
 * The WorkerArtifacts of a worker, by its settings object (one per worker, so its hash and
 * coverage caches live as long as the worker does).
 */
export function workerArtifactsFor(settings: Readonly<Record<string, unknown>>): WorkerArtifacts {
  let a = instances.get(settings);
  if (!a) {
    a = new WorkerArtifacts(settings as unknown as WorkerArtifactSettings);
    instances.set(settings, a);
  }
  return a;
}

function detailOf(bytes: Buffer, status: number): string {
  try {
    const b = JSON.parse(bytes.toString('utf8')) as { detail?: string };
    if (typeof b.detail === 'string') return b.detail;
  } catch {
    // not JSON
  }
  return `HTTP ${status}`;
}

