import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleDirSha256, bundleSha256, type BundleFiles } from './bundle-archive.js';
import { ModelBundleError } from './model-bundle-error.js';
import { assertSafeSegment, isCode, isDirectory, listVersions, switchLatestPointer, versionDirName } from './model-bundle-layout.js';
import { modelRef } from './model-ref.js';

/**
 * Bundles are read by other users on the host (a backend serving files, a worker under another
 * uid on a shared disk): folders 0755, files 0644.
 */
export const BUNDLE_DIR_MODE = 0o755;
export const BUNDLE_FILE_MODE = 0o644;

const REF = /^([A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)\/([0-9]+[mhdwM])_v([0-9]+)$/;

/** The parts of a model reference `{strategy}/{timeframe}_v{N}`. @throws RangeError for another shape. */
export function parseModelRef(ref: string): { strategyName: string; timeframe: string; version: number } {
  const m = REF.exec(ref);
  if (!m || !Number.isSafeInteger(Number(m[3])) || Number(m[3]) < 1) {
    throw new RangeError(`'${ref.slice(0, 100)}' is not a model reference: expected {strategy}/{timeframe}_v{N}, e.g. rsi_macd_1h/1h_v3`);
  }
  return { strategyName: m[1]!, timeframe: m[2]!, version: Number(m[3]) };
}

/** Where an install or publish put the bundle. */
export interface InstalledBundle {
  readonly ref: string;
  readonly dir: string;
  readonly version: number;
  readonly sha256: string;
  /** False when an identical bundle was already there (nothing written). */
  readonly written: boolean;
}

export interface InstallBundleOptions {
  /**
   * What to do when the version folder exists with other content: `replace` it (a worker's cache:
   * the backend's copy is the truth) or `refuse` with `MODEL_BUNDLE_CONFLICT` (the backend's store).
   * @defaultValue 'replace'
   */
  onConflict?: 'replace' | 'refuse';
}

/**
 * Puts a bundle at `ref` inside `modelsDir`, atomically: the files are written into a hidden temp
 * folder next to the versions, their hash checked against `sha256`, and the folder renamed into
 * place; `_latest` moves (when the version is newer) only after that. Concurrent installs of the
 * same bundle are safe: the first rename wins, the others find identical content and discard
 * their copy.
 *
 * @throws ModelBundleError `MODEL_BUNDLE_INVALID` when the files do not hash to `sha256`;
 *   `MODEL_BUNDLE_CONFLICT` when `onConflict: 'refuse'` and other content holds the version.
 */
export async function installBundle(
  modelsDir: string,
  ref: string,
  files: BundleFiles,
  sha256: string,
  options: InstallBundleOptions = {},
): Promise<InstalledBundle> {
  const { strategyName, timeframe, version } = parseModelRef(ref);
  const actual = bundleSha256(files);
  if (actual !== sha256) {
    throw new ModelBundleError('MODEL_BUNDLE_INVALID', ref, `model bundle ${ref}: hash mismatch (expected ${sha256}, got ${actual})`);
  }
  const strategyDir = join(modelsDir, strategyName);
  const finalDir = join(strategyDir, versionDirName(timeframe, version));
  const result = (written: boolean): InstalledBundle => ({ ref, dir: finalDir, version, sha256, written });
  if ((await isDirectory(finalDir)) && (await sameContent(finalDir, sha256))) return result(false);

  await mkdirReadable(modelsDir);
  await mkdirReadable(strategyDir);
  const tmpDir = await writeTempBundle(strategyDir, timeframe, files);
  let renamed = false;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await rename(tmpDir, finalDir);
        renamed = true;
        break;
      } catch (err) {
        if (!isTaken(err) || attempt >= 5) throw err;
        // Someone else installed this version in between: identical content is success.
        if (await sameContent(finalDir, sha256)) return result(false);
        if (options.onConflict === 'refuse') {
          throw new ModelBundleError('MODEL_BUNDLE_CONFLICT', ref, `model ${ref} already exists with other content`);
        }
        // A stale copy (another host numbered its own model the same): move it aside, retry.
        const aside = join(strategyDir, `.stale-${versionDirName(timeframe, version)}-${randomBytes(4).toString('hex')}`);
        await rename(finalDir, aside).catch((e: unknown) => {
          if (!isCode(e, 'ENOENT')) throw e;
        });
        await rm(aside, { recursive: true, force: true });
      }
    }
  } finally {
    if (!renamed) await rm(tmpDir, { recursive: true, force: true });
  }
  await switchLatestPointer(strategyDir, timeframe, version);
  return result(true);
}

/**
 * Publishes a bundle as the next free version of `{strategy}/{timeframe}` in `modelsDir` (the
 * backend numbers versions, so two training hosts never hand out the same one): its
 * `metadata.json` gets that version ({@link withBundleVersion}), the folder is renamed into place
 * (retrying with the next number when a concurrent publish took it), then `_latest` moves.
 *
 * @throws ModelBundleError `MODEL_BUNDLE_INVALID` when `metadata.json` is missing or names
 *   another strategy or timeframe.
 */
export async function publishBundleVersion(
  modelsDir: string,
  strategyName: string,
  timeframe: string,
  files: BundleFiles,
): Promise<InstalledBundle> {
  assertSafeSegment('strategy name', strategyName);
  assertSafeSegment('timeframe', timeframe);
  checkMetadata(files, strategyName, timeframe);
  const strategyDir = join(modelsDir, strategyName);
  await mkdirReadable(modelsDir);
  await mkdirReadable(strategyDir);
  let version = ((await listVersions(strategyDir, timeframe)).at(-1) ?? 0) + 1;
  for (let attempt = 0; ; attempt++, version++) {
    const numbered = withBundleVersion(files, version);
    const tmpDir = await writeTempBundle(strategyDir, timeframe, numbered);
    const finalDir = join(strategyDir, versionDirName(timeframe, version));
    try {
      await rename(tmpDir, finalDir);
    } catch (err) {
      await rm(tmpDir, { recursive: true, force: true });
      if (!isTaken(err) || attempt >= 20) throw err;
      continue;
    }
    await switchLatestPointer(strategyDir, timeframe, version);
    return { ref: modelRef(strategyName, timeframe, version), dir: finalDir, version, sha256: bundleSha256(numbered), written: true };
  }
}

/**
 * The files with `metadata.json`'s `version` set to `version` (other keys kept in order). Both the
 * backend and the uploading worker apply it, so both get the same bytes and the same hash.
 */
export function withBundleVersion(files: BundleFiles, version: number): Map<string, Buffer> {
  const meta = metadataOf(files);
  const out = new Map(files);
  out.set('metadata.json', Buffer.from(JSON.stringify({ ...meta, version }, null, 2) + '\n', 'utf8'));
  return out;
}

/**
 * Checks that `metadata.json` belongs to `{strategy}/{timeframe}` (and to `version` when given).
 * @throws ModelBundleError `MODEL_BUNDLE_INVALID` naming the mismatch.
 */
export function checkMetadata(files: BundleFiles, strategyName: string, timeframe: string, version?: number): void {
  const meta = metadataOf(files);
  const where = `${strategyName}/${timeframe}`;
  if (meta['strategy_name'] !== strategyName || meta['timeframe'] !== timeframe) {
    throw new ModelBundleError(
      'MODEL_BUNDLE_INVALID',
      'metadata.json',
      `the bundle's metadata.json is for ${String(meta['strategy_name'])}/${String(meta['timeframe'])}, not ${where}`,
    );
  }
  if (version !== undefined && meta['version'] !== version) {
    throw new ModelBundleError('MODEL_BUNDLE_INVALID', 'metadata.json', `the bundle's metadata.json has version ${String(meta['version'])}, not ${version}`);
  }
  for (const required of ['model.json', 'features.json']) {
    if (!files.has(required)) throw new ModelBundleError('MODEL_BUNDLE_INVALID', required, `the bundle has no ${required}`);
  }
}

function metadataOf(files: BundleFiles): Record<string, unknown> {
  const raw = files.get('metadata.json');
  let meta: unknown;
  try {
    meta = raw === undefined ? undefined : JSON.parse(raw.toString('utf8'));
  } catch {
    meta = undefined;
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new ModelBundleError('MODEL_BUNDLE_INVALID', 'metadata.json', 'the bundle has no valid metadata.json');
  }
  return meta as Record<string, unknown>;
}

async function writeTempBundle(strategyDir: string, timeframe: string, files: BundleFiles): Promise<string> {
  const tmpDir = await mkdtemp(join(strategyDir, `.tmp-${timeframe}-`));
  try {
    await chmod(tmpDir, BUNDLE_DIR_MODE); // mkdtemp makes it 0700
    for (const [name, bytes] of files) {
      await writeFile(join(tmpDir, name), bytes, { mode: BUNDLE_FILE_MODE });
    }
    return tmpDir;
  } catch (err) {
    await rm(tmpDir, { recursive: true, force: true });
    throw err;
  }
}

/** `mkdir -p` with the readable mode (and an existing folder left as it is). */
export async function mkdirReadable(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: BUNDLE_DIR_MODE });
}

async function sameContent(dir: string, sha256: string): Promise<boolean> {
  try {
    return (await bundleDirSha256(dir)) === sha256;
  } catch {
    return false;
  }
}

function isTaken(err: unknown): boolean {
  return isCode(err, 'EEXIST') || isCode(err, 'ENOTEMPTY') || isCode(err, 'EPERM');
}
