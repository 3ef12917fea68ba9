import type { ModelListEntry } from '../../contracts/artifacts.js';
import { bundleDirSha256, readBundleFiles, type BundleFiles } from '../../domain/model/bundle-archive.js';
import { installBundle, publishBundleVersion } from '../../domain/model/bundle-install.js';
import { resolveLatestBundle } from '../../domain/model/model-bundle.js';
import { modelRefOfDir, resolveModelRef } from '../../domain/model/model-ref.js';
import { listStoredModels } from './list-stored-models.js';

/** A bundle as the store holds it: its reference and identity. */
export interface StoredBundle {
  readonly ref: string;
  readonly version: number;
  readonly sha256: string;
  /** False when identical content already held the version. */
  readonly written: boolean;
}

/**
 * Where the backend keeps model bundles: its KTRDR_MODELS_DIR ({@link FsModelStore}) or an
 * S3-compatible bucket (`KTRDR_MODEL_STORE=s3://…`, see s3-model-store.ts). References and
 * identities are the same in both (bundle-archive.ts).
 */
export interface ModelStore {
  /** Every stored version. */
  list(): Promise<ModelListEntry[]>;
  /** The files of `{strategy}/{version}` (`{tf}_v{N}` or `{tf}_latest`); undefined when absent. */
  read(strategyName: string, version: string): Promise<{ ref: string; files: Map<string, Buffer> } | undefined>;
  /** The identity of the bundle `ref` names; undefined when absent. */
  identify(ref: string): Promise<string | undefined>;
  /** The reference `{timeframe}_latest` points at; undefined when none. */
  latestRef(strategyName: string, timeframe: string): Promise<string | undefined>;
  /** Stores files as the next free version (metadata.json's version set to it); `_latest` moves last. */
  publish(strategyName: string, timeframe: string, files: BundleFiles): Promise<StoredBundle>;
  /**
   * Stores files at exactly `ref` (idempotent for identical content).
   * @throws ModelBundleError `MODEL_BUNDLE_CONFLICT` when other content holds it.
   */
  put(ref: string, files: BundleFiles, sha256: string): Promise<StoredBundle>;
}

/** The store as folders in a models dir (the default). */
export class FsModelStore implements ModelStore {
  constructor(readonly modelsDir: string) {}

  list(): Promise<ModelListEntry[]> {
    return listStoredModels(this.modelsDir);
  }

  async read(strategyName: string, version: string): Promise<{ ref: string; files: Map<string, Buffer> } | undefined> {
    let dir: string | undefined;
    if (version.endsWith('_latest')) {
      dir = await resolveLatestBundle(this.modelsDir, strategyName, version.slice(0, -'_latest'.length)).catch(() => undefined);
    } else {
      dir = await resolveModelRef(this.modelsDir, `${strategyName}/${version}`).catch(() => undefined);
    }
    return dir === undefined ? undefined : { ref: modelRefOfDir(this.modelsDir, dir), files: await readBundleFiles(dir) };
  }

  async identify(ref: string): Promise<string | undefined> {
    const dir = await resolveModelRef(this.modelsDir, ref).catch(() => undefined);
    return dir === undefined ? undefined : bundleDirSha256(dir);
  }

  async latestRef(strategyName: string, timeframe: string): Promise<string | undefined> {
    const dir = await resolveLatestBundle(this.modelsDir, strategyName, timeframe);
    return dir === undefined ? undefined : modelRefOfDir(this.modelsDir, dir);
  }

  publish(strategyName: string, timeframe: string, files: BundleFiles): Promise<StoredBundle> {
    return publishBundleVersion(this.modelsDir, strategyName, timeframe, files);
  }

  put(ref: string, files: BundleFiles, sha256: string): Promise<StoredBundle> {
    return installBundle(this.modelsDir, ref, files, sha256, { onConflict: 'refuse' });
  }
}
