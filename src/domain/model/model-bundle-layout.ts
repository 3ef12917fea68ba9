import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelBundleError } from './model-bundle-error.js';

/**
 * Where bundles live on disk:
 *
 * ```text
 * {modelsDir}/{strategy}/{timeframe}_v{N}/     one immutable folder per saved version
 * {modelsDir}/{strategy}/{timeframe}_latest.json  pointer: {"version": N, "dir": "{timeframe}_vN", ...}
 * {modelsDir}/{strategy}/.tmp-*                  in-progress saves (never read)
 * ```
 *
 * The `_latest` pointer is a small JSON file replaced with write-to-temp + rename, which is
 * atomic on POSIX file systems (local and NFS) and replaces the file on Windows too; unlike a
 * symlink it needs no privileges on Windows and survives copying the folder.
 */
export const LATEST_POINTER_SUFFIX = '_latest.json';

/** Content of a `{timeframe}_latest.json` pointer file. */
export interface LatestPointer {
  readonly version: number;
  /** Folder name of the version, relative to the strategy folder. */
  readonly dir: string;
  readonly updated_at: string;
}

const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/**
 * Checks that a strategy name or timeframe can be used as one path segment.
 *
 * @throws RangeError when it contains a path separator, `..` or other unsafe characters (a caller bug).
 */
export function assertSafeSegment(kind: string, value: string): void {
  if (!SAFE_SEGMENT.test(value) || value.includes('..')) {
    throw new RangeError(`${kind} '${value}' cannot be used as a folder name (letters, digits, . _ + - only)`);
  }
}

/** Folder name of one version: `{timeframe}_v{N}`. */
export function versionDirName(timeframe: string, version: number): string {
  return `${timeframe}_v${version}`;
}

/** Versions present for a timeframe in a strategy folder, ascending (none if the folder is missing). */
export async function listVersions(strategyDir: string, timeframe: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(strategyDir);
  } catch (err) {
    if (isCode(err, 'ENOENT')) return [];
    throw err;
  }
  const prefix = `${timeframe}_v`;
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => Number(n.slice(prefix.length)))
    .sort((a, b) => a - b);
}

/** Reads a pointer file; undefined when it does not exist. @throws ModelBundleError when corrupt. */
export async function readLatestPointer(pointerPath: string, timeframe?: string): Promise<LatestPointer | undefined> {
  let text: string;
  try {
    text = await readFile(pointerPath, 'utf8');
  } catch (err) {
    if (isCode(err, 'ENOENT')) return undefined;
    throw new ModelBundleError('MODEL_BUNDLE_INVALID', pointerPath, `cannot read ${pointerPath}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ModelBundleError('MODEL_BUNDLE_INVALID', pointerPath, `corrupt pointer file ${pointerPath}`, { cause: err });
  }
  const p = parsed as Partial<LatestPointer> | null;
  const ok =
    p !== null &&
    typeof p === 'object' &&
    Number.isInteger(p.version) &&
    typeof p.dir === 'string' &&
    SAFE_SEGMENT.test(p.dir) &&
    !p.dir.includes('..') &&
    (timeframe === undefined || p.dir === versionDirName(timeframe, p.version as number));
  if (!ok) throw new ModelBundleError('MODEL_BUNDLE_INVALID', pointerPath, `invalid pointer file ${pointerPath}`);
  return p as LatestPointer;
}

/**
 * Points `{timeframe}_latest.json` at `version`, atomically (temp file + rename), unless it
 * already points at a newer version (two saves finishing out of order keep the newest).
 *
 * @returns whether the pointer was changed.
 */
export async function switchLatestPointer(strategyDir: string, timeframe: string, version: number): Promise<boolean> {
  const pointerPath = join(strategyDir, timeframe + LATEST_POINTER_SUFFIX);
  const current = await readLatestPointer(pointerPath, timeframe).catch(() => undefined);
  if (current !== undefined && current.version > version) return false;
  const pointer: LatestPointer = {
    version,
    dir: versionDirName(timeframe, version),
    updated_at: new Date().toISOString(),
  };
  const tmp = `${pointerPath}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(tmp, JSON.stringify(pointer, null, 2) + '\n');
    await rename(tmp, pointerPath);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return true;
}

/** True when `path` is an existing directory. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** True when `err` is a Node system error with the given code. */
export function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
