import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { OHLCV_CSV_HEADER } from './csv-parser.js';
import type { OhlcvSeries } from './ohlcv.js';
import { validateOhlcv } from './ohlcv-validation.js';
import { formatUtcTimestamp } from './utc-time.js';

/** Options for {@link formatOhlcvCsv} and {@link writeOhlcvCsv}. */
export interface OhlcvCsvFormatOptions {
  /**
   * Write prices with exactly this many decimals (`toFixed`). When omitted, each price is written
   * in the shortest form that parses back to the same number, so a load/write round trip is exact.
   * @defaultValue undefined
   */
  readonly priceDecimals?: number;
}

/** Renders a series in the canonical CSV format: header `date,open,high,low,close,volume`, `\n` line ends. */
export function formatOhlcvCsv(series: OhlcvSeries, options: OhlcvCsvFormatOptions = {}): string {
  const d = options.priceDecimals;
  const price = d === undefined ? (x: number): string => String(x) : (x: number): string => x.toFixed(d);
  const { time, open, high, low, close, volume } = series;
  const rows: string[] = new Array<string>(series.length + 1);
  rows[0] = OHLCV_CSV_HEADER;
  for (let i = 0; i < series.length; i++) {
    rows[i + 1] =
      `${formatUtcTimestamp(time[i] as number)},${price(open[i] as number)},${price(high[i] as number)},` +
      `${price(low[i] as number)},${price(close[i] as number)},${String(volume[i] as number)}`;
  }
  return rows.join('\n') + '\n';
}

/**
 * Validates `series` and writes it to `path` in the canonical format, atomically: the text goes to
 * a temporary file in the same directory, which is then renamed over `path`, so a reader never
 * sees a half-written file. Creates the directory if needed.
 *
 * @throws DataError `DATA_INVALID` when the series breaks an OHLCV invariant (nothing is written).
 */
export function writeOhlcvCsv(path: string, series: OhlcvSeries, options: OhlcvCsvFormatOptions = {}): void {
  validateOhlcv(series, { file: path });
  const text = formatOhlcvCsv(series, options);
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  // Same directory so the rename stays on one file system (rename is atomic only there).
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, text, 'utf8');
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
