import { isSeriesFrame, SERIES_FRAME_MEDIA_TYPE, type BinaryBlob } from '../contracts/index.js';

/**
 * The buffers a job thread can hand over without a copy: those of the top-level typed-array fields
 * of an artifact that own their whole ArrayBuffer (a view on part of a buffer would detach the
 * rest with it, so it is copied as usual).
 */
export function transferables(artifact: unknown): ArrayBuffer[] {
  if (typeof artifact !== 'object' || artifact === null || Array.isArray(artifact)) return [];
  const out = new Set<ArrayBuffer>();
  for (const value of Object.values(artifact as Record<string, unknown>)) {
    if (!ArrayBuffer.isView(value) || !(value.buffer instanceof ArrayBuffer)) continue;
    if (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) out.add(value.buffer);
  }
  return [...out];
}

/**
 * An artifact as it goes out as JSON (the final report, `GET …/results`): each top-level byte
 * field becomes a base64 {@link BinaryBlob}; everything else is unchanged.
 */
export function artifactToWire(artifact: unknown): unknown {
  if (typeof artifact !== 'object' || artifact === null || Array.isArray(artifact)) return artifact;
  const entries = Object.entries(artifact as Record<string, unknown>);
  if (!entries.some(([, v]) => v instanceof Uint8Array)) return artifact;
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    out[key] = value instanceof Uint8Array ? toBlob(value) : value;
  }
  return out;
}

/** True when an artifact has a top-level byte field. */
export function hasBytes(artifact: unknown): boolean {
  if (typeof artifact !== 'object' || artifact === null || Array.isArray(artifact)) return false;
  return Object.values(artifact as Record<string, unknown>).some((v) => v instanceof Uint8Array);
}

/** The media type of an artifact's bytes: a series frame, or opaque bytes. */
export function mediaTypeOf(bytes: Uint8Array): string {
  return isSeriesFrame(bytes) ? SERIES_FRAME_MEDIA_TYPE : 'application/octet-stream';
}

function toBlob(bytes: Uint8Array): BinaryBlob {
  return {
    $binary: 'base64',
    media_type: mediaTypeOf(bytes),
    data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
  };
}
