import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { readFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isBinaryBlob, isInlineBytes } from '../../contracts/index.js';

/**
 * What the stored result JSON holds in place of a binary field: the file (in the operation's folder
 * of the results directory) that has its bytes.
 */
export interface StoredBlobRef {
  $file: string;
  media_type: string;
  bytes: number;
}

/** True for a value of the {@link StoredBlobRef} shape. */
export function isStoredBlobRef(value: unknown): value is StoredBlobRef {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['$file'] === 'string' && typeof v['media_type'] === 'string' && typeof v['bytes'] === 'number';
}

export interface ResultFilesOptions {
  /** Folder of the result files; one subfolder per operation. Created when needed. */
  dir: string;
}

/**
 * The bulky, binary parts of result artifacts (a backtest's equity curve as a series frame), kept
 * as files next to the operations store instead of inside it: the backend decodes the base64 a
 * worker sent and writes the bytes as they are, without parsing them, and the store keeps only a
 * {@link StoredBlobRef}. A write is atomic (temp file, fsync, rename), and every write gets a name
 * of its own, so a late duplicate report never replaces the bytes an accepted one points to.
 *
 * Writes are synchronous on purpose (tens of ms for a 1M-bar curve): the report route applies the
 * report right after them, with no await in between, so a poll of the worker that sees the op ended
 * (the backend's fallback path, which fetches the whole artifact again) cannot settle the op first.
 */
export class ResultFiles {
  readonly #dir: string;

  constructor(options: ResultFilesOptions) {
    this.#dir = options.dir;
  }

  /** The folder of one operation's files. Operation ids come from outside: encoded so none leaves the folder. */
  operationDir(operationId: string): string {
    return join(this.#dir, encodeURIComponent(operationId).replace(/\./g, '%2E').replace(/\*/g, '%2A'));
  }

  /**
   * Writes each top-level binary field of `artifact` (base64 from a JSON report, or the bytes
   * attached to a report frame) to a file and returns the artifact with
   * {@link StoredBlobRef}s in their place, and the files written (to discard them if the report
   * is refused). Any other artifact is returned as it is.
   */
  storeBlobs(operationId: string, artifact: unknown): { artifact: unknown; files: string[] } {
    if (typeof artifact !== 'object' || artifact === null || Array.isArray(artifact)) return { artifact, files: [] };
    const entries = Object.entries(artifact as Record<string, unknown>);
    if (!entries.some(([, v]) => isBinaryBlob(v) || isInlineBytes(v))) return { artifact, files: [] };
    const dir = this.operationDir(operationId);
    mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    const out: Record<string, unknown> = {};
    const tag = randomBytes(6).toString('hex');
    try {
      for (const [key, value] of entries) {
        let bytes: Uint8Array;
        if (isInlineBytes(value)) bytes = value.data;
        else if (isBinaryBlob(value)) bytes = Buffer.from(value.data, 'base64');
        else {
          out[key] = value;
          continue;
        }
        const name = `${tag}-${files.length}.bin`;
        writeAtomic(join(dir, name), bytes);
        files.push(name);
        out[key] = { $file: name, media_type: value.media_type, bytes: bytes.byteLength } satisfies StoredBlobRef;
      }
    } catch (err) {
      for (const f of files) unlinkSync(join(dir, f));
      throw err;
    }
    return { artifact: out, files };
  }

  /** The bytes behind a reference. */
  async read(operationId: string, ref: StoredBlobRef): Promise<Uint8Array> {
    if (ref.$file.includes('/') || ref.$file.includes('\\') || ref.$file.startsWith('.')) {
      throw new Error(`bad result file name '${ref.$file}'`);
    }
    const buf = await readFile(join(this.operationDir(operationId), ref.$file));
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Removes files written for a report that was then refused. */
  async discard(operationId: string, files: readonly string[]): Promise<void> {
    const dir = this.operationDir(operationId);
    for (const f of files) await unlink(join(dir, f)).catch(() => undefined);
  }

  /** Removes every file of an operation (when the operation itself is deleted). */
  async remove(operationId: string): Promise<void> {
    await rm(this.operationDir(operationId), { recursive: true, force: true });
  }
}

function writeAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'w');
  try {
    for (let off = 0; off < bytes.byteLength; ) off += writeSync(fd, bytes, off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
