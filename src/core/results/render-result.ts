import { decodeSeriesFrame, isBinaryBlob, SERIES_FRAME_MEDIA_TYPE, type SeriesFrame, type SeriesJson } from '../../contracts/index.js';
import { downsampleIndices, drawdowns } from '../../contracts/downsample-series.js';
import { isStoredBlobRef, type StoredBlobRef } from './result-files.js';

export interface RenderResultOptions {
  /** Every point of each series, or a downsample. */
  full: boolean;
  /** Most points of a downsampled series. */
  maxPoints: number;
  /** Reads the bytes of a stored binary field. */
  read(ref: StoredBlobRef): Promise<Uint8Array>;
}

/**
 * A stored result artifact as the results endpoint returns it: each series frame (stored as a
 * file, or inline as base64 when the backend fetched the artifact by polling) becomes a
 * {@link SeriesJson}, downsampled unless `full`; every other field is returned as stored.
 */
export async function renderResult(stored: unknown, options: RenderResultOptions): Promise<unknown> {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return stored;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stored as Record<string, unknown>)) {
    if (isStoredBlobRef(value)) {
      out[key] = value.media_type === SERIES_FRAME_MEDIA_TYPE
        ? seriesJson(decodeSeriesFrame(await options.read(value)), options)
        : { media_type: value.media_type, bytes: value.bytes };
    } else if (isBinaryBlob(value) && value.media_type === SERIES_FRAME_MEDIA_TYPE) {
      const buf = Buffer.from(value.data, 'base64');
      out[key] = seriesJson(decodeSeriesFrame(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)), options);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * One column per array (the time column as ISO-8601 strings) and, when the frame names a value
 * column, `drawdown_pct` of that column against its running peak at full resolution.
 */
export function seriesJson(frame: SeriesFrame, options: Pick<RenderResultOptions, 'full' | 'maxPoints'>): SeriesJson {
  const { header, columns } = frame;
  const n = header.length;
  const valueName = header.value_column ?? header.columns.find((c) => c !== header.time_column);
  const value = valueName === undefined ? undefined : columns[valueName];
  const idx = options.full || value === undefined ? Array.from({ length: n }, (_, i) => i) : downsampleIndices(value, options.maxPoints);
  const arrays: Record<string, (number | string)[]> = {};
  for (const name of header.columns) {
    const col = columns[name]!;
    arrays[name] = name === header.time_column ? idx.map((i) => new Date(col[i] as number).toISOString()) : idx.map((i) => col[i] as number);
  }
  if (value !== undefined && !header.columns.includes('drawdown_pct')) {
    const dd = drawdowns(value);
    arrays['drawdown_pct'] = idx.map((i) => dd[i] as number);
  }
  return { ...arrays, bars: n, downsampled: idx.length < n };
}
