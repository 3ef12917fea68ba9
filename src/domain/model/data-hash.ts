import { createHash } from 'node:crypto';

/**
 * A content hash of the data a model was trained on, for `metadata.json`: SHA-256 over the
 * given parts in order (typed arrays by their bytes, strings as UTF-8), each prefixed by its
 * byte length so different splits of the same bytes hash differently.
 *
 * @returns `sha256:<64 hex digits>`.
 */
export function computeDataHash(parts: readonly (ArrayBufferView | string)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const bytes =
      typeof part === 'string' ? Buffer.from(part, 'utf8') : new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(bytes.byteLength));
    hash.update(len);
    hash.update(bytes);
  }
  return `sha256:${hash.digest('hex')}`;
}
