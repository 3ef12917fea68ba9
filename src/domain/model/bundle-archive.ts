import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelBundleError } from './model-bundle-error.js';

/**
 * A model bundle as bytes, for moving it between hosts (training worker → backend → backtest
 * worker) without a shared mount. The format is small enough to read in one look:
 *
 * ```text
 * ktrdr-bundle-archive/1\n
 * {"files":[{"name":"config.json","size":123,"sha256":"…"},…]}\n   the manifest, names sorted
 * <the files' bytes, concatenated in manifest order>
 * ```
 *
 * The bundle's identity is {@link bundleSha256}: SHA-256 of the canonical manifest (names sorted,
 * sizes, each file's SHA-256), so it depends only on the files' names and bytes, never on how
 * they were packed, and can be computed from a folder without packing it.
 */
export const BUNDLE_ARCHIVE_MAGIC = 'ktrdr-bundle-archive/1';

/** Media type of an archive on the wire. */
export const BUNDLE_ARCHIVE_CONTENT_TYPE = 'application/vnd.ktrdr.bundle';

/** A bundle file name: flat (no folders), no leading dot. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** A bundle holds a handful of files (model.json, weights.bin, 4 JSON files). */
const MAX_FILES = 64;
const MAX_MANIFEST_BYTES = 64 * 1024;

/** One entry of the manifest. */
export interface BundleManifestEntry {
  readonly name: string;
  readonly size: number;
  /** Lowercase hex SHA-256 of the file's bytes. */
  readonly sha256: string;
}

/** A bundle's files in memory, by name. */
export type BundleFiles = ReadonlyMap<string, Buffer>;

const sha256Hex = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

function manifestOf(files: BundleFiles): BundleManifestEntry[] {
  return [...files.keys()].sort().map((name) => {
    const bytes = files.get(name)!;
    return { name, size: bytes.byteLength, sha256: sha256Hex(bytes) };
  });
}

function canonicalManifest(entries: readonly BundleManifestEntry[]): string {
  return JSON.stringify({ files: entries.map((e) => ({ name: e.name, size: e.size, sha256: e.sha256 })) });
}

/** The bundle's identity (lowercase hex SHA-256 of its canonical manifest). */
export function bundleSha256(files: BundleFiles): string {
  return sha256Hex(canonicalManifest(manifestOf(files)));
}

/**
 * Reads the regular files of a version folder (sub-folders and dot files are not part of a bundle).
 *
 * @throws ModelBundleError `MODEL_BUNDLE_NOT_FOUND` when the folder cannot be read.
 */
export async function readBundleFiles(dir: string): Promise<Map<string, Buffer>> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new ModelBundleError('MODEL_BUNDLE_NOT_FOUND', dir, `no model bundle at ${dir}`, { cause: err });
  }
  const files = new Map<string, Buffer>();
  for (const e of entries.filter((x) => x.isFile() && FILE_NAME.test(x.name)).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    files.set(e.name, await readFile(join(dir, e.name)));
  }
  return files;
}

/** {@link bundleSha256} of a version folder. */
export async function bundleDirSha256(dir: string): Promise<string> {
  return bundleSha256(await readBundleFiles(dir));
}

/** Packs files into one archive buffer. @throws RangeError for a file name a bundle cannot hold. */
export function packBundle(files: BundleFiles): Buffer {
  for (const name of files.keys()) {
    if (!FILE_NAME.test(name)) throw new RangeError(`'${name}' cannot be a bundle file name`);
  }
  const entries = manifestOf(files);
  const head = Buffer.from(`${BUNDLE_ARCHIVE_MAGIC}\n${canonicalManifest(entries)}\n`, 'utf8');
  return Buffer.concat([head, ...entries.map((e) => files.get(e.name)!)]);
}

/** What {@link unpackBundle} found. */
export interface UnpackedBundle {
  readonly files: Map<string, Buffer>;
  /** {@link bundleSha256} of the files (recomputed from their bytes, not trusted from the archive). */
  readonly sha256: string;
}

/**
 * Reads an archive and checks every file's size and hash against its manifest, and the bundle
 * hash against `expectedSha256` when given.
 *
 * @throws ModelBundleError `MODEL_BUNDLE_INVALID` naming what is wrong (bad header, unsafe name,
 *   truncated or extra bytes, a file or bundle hash mismatch).
 */
export function unpackBundle(archive: Buffer, expectedSha256?: string): UnpackedBundle {
  const bad = (why: string) => new ModelBundleError('MODEL_BUNDLE_INVALID', 'archive', `invalid model bundle archive: ${why}`);
  const magicEnd = archive.indexOf(0x0a);
  if (magicEnd < 0 || archive.subarray(0, magicEnd).toString('utf8') !== BUNDLE_ARCHIVE_MAGIC) {
    throw bad(`it does not start with '${BUNDLE_ARCHIVE_MAGIC}'`);
  }
  const manifestEnd = archive.indexOf(0x0a, magicEnd + 1);
  if (manifestEnd < 0 || manifestEnd - magicEnd > MAX_MANIFEST_BYTES) throw bad('no manifest line');
  let manifest: unknown;
  try {
    manifest = JSON.parse(archive.subarray(magicEnd + 1, manifestEnd).toString('utf8'));
  } catch {
    throw bad('the manifest is not JSON');
  }
  const list = (manifest as { files?: unknown } | null)?.files;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_FILES) throw bad(`the manifest must list 1 to ${MAX_FILES} files`);
  const files = new Map<string, Buffer>();
  let offset = manifestEnd + 1;
  for (const raw of list as unknown[]) {
    const e = raw as Partial<BundleManifestEntry> | null;
    if (typeof e?.name !== 'string' || !FILE_NAME.test(e.name) || files.has(e.name)) throw bad(`unsafe or repeated file name ${JSON.stringify(e?.name)}`);
    if (!Number.isSafeInteger(e.size) || (e.size as number) < 0) throw bad(`${e.name}: invalid size`);
    const end = offset + (e.size as number);
    if (end > archive.byteLength) throw bad(`${e.name}: truncated (${archive.byteLength - offset} of ${e.size} bytes)`);
    const bytes = archive.subarray(offset, end);
    if (sha256Hex(bytes) !== e.sha256) throw bad(`${e.name}: its bytes do not match its sha256`);
    files.set(e.name, bytes);
    offset = end;
  }
  if (offset !== archive.byteLength) throw bad(`${archive.byteLength - offset} bytes after the last file`);
  const sha256 = bundleSha256(files);
  if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
    throw new ModelBundleError('MODEL_BUNDLE_INVALID', 'archive', `model bundle hash mismatch: expected ${expectedSha256}, got ${sha256}`);
  }
  return { files, sha256 };
}
