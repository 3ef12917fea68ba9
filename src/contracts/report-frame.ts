/**
 * The binary form of a worker's final report (`POST /api/v1/operations/{id}/report` with
 * `content-type: application/vnd.ktrdr.report`): the report as JSON, followed by the raw bytes of
 * the artifact's binary fields (a backtest's equity curve). Base64 inside JSON costs a 4/3 larger
 * body plus a JSON.stringify and a JSON.parse that scan every character of it, on the worker and
 * on the backend: for a 1M-bar curve about a second; this frame costs two memcpys.
 *
 * Layout (little-endian), version 1:
 * ```text
 * 0   4 bytes  magic "KTRP"
 * 4   u32      version (1)
 * 8   u32      J = byte length of the JSON report
 * 12  J bytes  UTF-8 JSON report; each binary artifact field is an {@link AttachedBytes}
 * …   the attachments, back to back (offsets count from here)
 * ```
 */
export const REPORT_FRAME_MEDIA_TYPE = 'application/vnd.ktrdr.report';
const MAGIC = 0x5052544b; // "KTRP" read as a little-endian u32
const VERSION = 1;
const PREFIX_BYTES = 12;

/** In the JSON part of a report frame: where one binary artifact field's bytes are. */
export interface AttachedBytes {
  $binary: 'attachment';
  media_type: string;
  offset: number;
  length: number;
}

/** A binary artifact field once a report frame is decoded: the bytes themselves (a view on the body). */
export interface InlineBytes {
  $binary: 'bytes';
  media_type: string;
  data: Uint8Array;
}

/** True for a decoded binary field ({@link InlineBytes}). */
export function isInlineBytes(value: unknown): value is InlineBytes {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v['$binary'] === 'bytes' && v['data'] instanceof Uint8Array && typeof v['media_type'] === 'string';
}

/** Thrown when a body is not a report frame this build reads. */
export class InvalidReportFrameError extends Error {
  readonly code = 'INVALID_REPORT_FRAME';
  constructor(reason: string) {
    super(`report body is not a readable report frame: ${reason}`);
    this.name = 'InvalidReportFrameError';
  }
}

/**
 * Encodes a report whose `artifact` has binary fields. `mediaTypeOf` names each field's bytes.
 * Returns the body; the bytes are copied once, into it.
 */
export function encodeReportFrame(report: Record<string, unknown>, mediaTypeOf: (bytes: Uint8Array) => string): Uint8Array {
  const artifact = report['artifact'];
  const attachments: Uint8Array[] = [];
  let json = report;
  if (typeof artifact === 'object' && artifact !== null && !Array.isArray(artifact)) {
    let offset = 0;
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(artifact as Record<string, unknown>)) {
      if (value instanceof Uint8Array) {
        fields[key] = { $binary: 'attachment', media_type: mediaTypeOf(value), offset, length: value.byteLength } satisfies AttachedBytes;
        attachments.push(value);
        offset += value.byteLength;
      } else {
        fields[key] = value;
      }
    }
    json = { ...report, artifact: fields };
  }
  const head = new TextEncoder().encode(JSON.stringify(json));
  const total = PREFIX_BYTES + head.byteLength + attachments.reduce((s, a) => s + a.byteLength, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, head.byteLength, true);
  out.set(head, PREFIX_BYTES);
  let at = PREFIX_BYTES + head.byteLength;
  for (const a of attachments) {
    out.set(a, at);
    at += a.byteLength;
  }
  return out;
}

/**
 * Decodes a report frame: the JSON report with each attached artifact field as {@link InlineBytes}
 * (views on `body`, no copy).
 *
 * @throws {@link InvalidReportFrameError} on a wrong magic or version, bad JSON, or an attachment outside the body
 */
export function decodeReportFrame(body: Uint8Array): Record<string, unknown> {
  if (body.byteLength < PREFIX_BYTES) throw new InvalidReportFrameError(`${body.byteLength} bytes`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new InvalidReportFrameError('bad magic');
  const version = view.getUint32(4, true);
  if (version !== VERSION) throw new InvalidReportFrameError(`version ${version} (this build reads ${VERSION})`);
  const jsonBytes = view.getUint32(8, true);
  if (PREFIX_BYTES + jsonBytes > body.byteLength) throw new InvalidReportFrameError('truncated JSON');
  let report: unknown;
  try {
    report = JSON.parse(new TextDecoder().decode(body.subarray(PREFIX_BYTES, PREFIX_BYTES + jsonBytes)));
  } catch {
    throw new InvalidReportFrameError('the JSON part does not parse');
  }
  if (typeof report !== 'object' || report === null || Array.isArray(report)) throw new InvalidReportFrameError('the JSON part is not an object');
  const r = report as Record<string, unknown>;
  const artifact = r['artifact'];
  if (typeof artifact !== 'object' || artifact === null || Array.isArray(artifact)) return r;
  const base = PREFIX_BYTES + jsonBytes;
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(artifact as Record<string, unknown>)) {
    const v = value as Partial<AttachedBytes> | null;
    if (typeof v !== 'object' || v === null || v.$binary !== 'attachment') {
      fields[key] = value;
      continue;
    }
    const { offset, length, media_type } = v;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset! < 0 || length! < 0 || base + offset! + length! > body.byteLength) {
      throw new InvalidReportFrameError(`artifact.${key}: attachment outside the body`);
    }
    if (typeof media_type !== 'string') throw new InvalidReportFrameError(`artifact.${key}: media_type missing`);
    fields[key] = { $binary: 'bytes', media_type, data: body.subarray(base + offset!, base + offset! + length!) } satisfies InlineBytes;
  }
  return { ...r, artifact: fields };
}
