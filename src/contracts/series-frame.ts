import { Type, type Static } from 'typebox';

/**
 * A series frame: named Float64 columns of equal length in one byte buffer, the compact form of a
 * result's bulky per-bar series (a backtest's equity curve). The worker builds it once in its job
 * thread, moves it to the HTTP thread without a copy, sends it base64-encoded inside the final
 * report, and the backend writes the decoded bytes to a file as they are: nobody parses it per
 * element until a client asks for the series.
 *
 * Layout (little-endian), version 1:
 * ```text
 * 0   4 bytes  magic "KTSF"
 * 4   u32      version (1)
 * 8   u32      H = byte length of the JSON header
 * 12  H bytes  UTF-8 JSON {@link SeriesFrameHeader}
 * …   0–7      zero padding to a multiple of 8
 * …   columns' Float64 values, one column after the other, in header order
 * ```
 */
export const SERIES_FRAME_MEDIA_TYPE = 'application/vnd.ktrdr.series-frame';
const MAGIC = 0x4653544b; // "KTSF" read as a little-endian u32
const VERSION = 1;
const PREFIX_BYTES = 12;

/** The JSON header of a frame: column names and length, and what the columns mean. */
export interface SeriesFrameHeader {
  /** Column names, in the order their values follow the header. */
  columns: string[];
  /** Values per column. */
  length: number;
  /** The column of epoch-ms timestamps (rendered as ISO strings in JSON), if any. */
  time_column?: string;
  /** The column a chart downsamples by (its min and max per bucket are kept), if any. */
  value_column?: string;
}

export interface SeriesFrame {
  header: SeriesFrameHeader;
  columns: Record<string, Float64Array>;
}

/** Thrown when bytes are not a series frame this build can read. */
export class InvalidSeriesFrameError extends Error {
  readonly code = 'INVALID_SERIES_FRAME';
  constructor(reason: string) {
    super(`not a readable series frame: ${reason}`);
    this.name = 'InvalidSeriesFrameError';
  }
}

/**
 * Encodes columns of equal length into one frame. The result owns its whole ArrayBuffer, so it can
 * be moved between threads with a transfer list.
 */
export function encodeSeriesFrame(
  columns: Readonly<Record<string, ArrayLike<number>>>,
  meta: Omit<SeriesFrameHeader, 'columns' | 'length'> = {},
): Uint8Array {
  const names = Object.keys(columns);
  const length = names.length === 0 ? 0 : columns[names[0]!]!.length;
  for (const name of names) {
    if (columns[name]!.length !== length) throw new RangeError(`column '${name}' has ${columns[name]!.length} values, expected ${length}`);
  }
  const header = new TextEncoder().encode(JSON.stringify({ ...meta, columns: names, length } satisfies SeriesFrameHeader));
  const dataOffset = align8(PREFIX_BYTES + header.length);
  const buffer = new ArrayBuffer(dataOffset + names.length * length * 8);
  const view = new DataView(buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, header.length, true);
  new Uint8Array(buffer, PREFIX_BYTES, header.length).set(header);
  // The platform is little-endian (every Node target is); the frame's values are written as is.
  names.forEach((name, k) => new Float64Array(buffer, dataOffset + k * length * 8, length).set(columns[name]!));
  return new Uint8Array(buffer);
}

/**
 * Reads a frame. Columns are views on `bytes` when they are 8-byte aligned (no copy), else copies.
 *
 * @throws {@link InvalidSeriesFrameError} on a wrong magic, version or size
 */
export function decodeSeriesFrame(bytes: Uint8Array): SeriesFrame {
  if (bytes.byteLength < PREFIX_BYTES) throw new InvalidSeriesFrameError(`${bytes.byteLength} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new InvalidSeriesFrameError('bad magic');
  const version = view.getUint32(4, true);
  if (version !== VERSION) throw new InvalidSeriesFrameError(`version ${version} (this build reads ${VERSION})`);
  const headerBytes = view.getUint32(8, true);
  if (PREFIX_BYTES + headerBytes > bytes.byteLength) throw new InvalidSeriesFrameError('truncated header');
  let header: SeriesFrameHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes))) as SeriesFrameHeader;
  } catch {
    throw new InvalidSeriesFrameError('header is not JSON');
  }
  if (!Array.isArray(header.columns) || !Number.isInteger(header.length) || header.length < 0) {
    throw new InvalidSeriesFrameError('header lacks columns or length');
  }
  const dataOffset = align8(PREFIX_BYTES + headerBytes);
  const need = dataOffset + header.columns.length * header.length * 8;
  if (need > bytes.byteLength) throw new InvalidSeriesFrameError(`truncated data: ${bytes.byteLength} of ${need} bytes`);
  const columns: Record<string, Float64Array> = {};
  header.columns.forEach((name, k) => {
    const start = bytes.byteOffset + dataOffset + k * header.length * 8;
    columns[name] =
      start % 8 === 0
        ? new Float64Array(bytes.buffer, start, header.length)
        : new Float64Array(bytes.slice(dataOffset + k * header.length * 8, dataOffset + (k + 1) * header.length * 8).buffer);
  });
  return { header, columns };
}

/** True when `bytes` start like a series frame (magic only; decode checks the rest). */
export function isSeriesFrame(bytes: Uint8Array): boolean {
  return bytes.byteLength >= PREFIX_BYTES && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === MAGIC;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/**
 * How bytes travel inside a JSON body (a worker's final report, the worker's `GET …/results`): a
 * binary field of a result artifact is replaced by this object.
 */
export const BinaryBlob = Type.Object(
  {
    $binary: Type.Literal('base64'),
    media_type: Type.String({ maxLength: 200 }),
    data: Type.String(),
  },
  { additionalProperties: false },
);
export type BinaryBlob = Static<typeof BinaryBlob>;

/** True for a JSON value of the {@link BinaryBlob} shape. */
export function isBinaryBlob(value: unknown): value is BinaryBlob {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v['$binary'] === 'base64' && typeof v['data'] === 'string' && typeof v['media_type'] === 'string';
}

/**
 * `GET /api/v1/operations/{id}/results` query: how a stored series (a backtest's equity curve) is
 * returned. By default it is downsampled to at most `max_points` points (first, last, and the min
 * and max of each bucket, so drawdowns survive); `equity=full` returns every bar.
 */
export const ResultsQuery = Type.Object(
  {
    equity: Type.Optional(Type.Union([Type.Literal('downsampled'), Type.Literal('full')], { default: 'downsampled', description: 'downsampled (default) or full: every bar of the equity curve' })),
    max_points: Type.Optional(Type.Integer({ minimum: 4, maximum: 100_000, default: 1000, description: 'Most points of a downsampled curve' })),
  },
  { additionalProperties: false },
);
export type ResultsQuery = Static<typeof ResultsQuery>;

/**
 * A series as the results endpoint returns it: one array per column (the time column as ISO-8601
 * strings), plus how many bars the full series has and whether these points are a downsample.
 */
export const SeriesJson = Type.Object(
  {
    bars: Type.Integer({ minimum: 0, description: 'Points of the full series' }),
    downsampled: Type.Boolean(),
  },
  { additionalProperties: Type.Array(Type.Union([Type.Number(), Type.String()])) },
);
export type SeriesJson = Static<typeof SeriesJson>;
