import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from './data-error.js';
import { ohlcvPath } from './data-files.js';

/**
 * Stores an OHLCV file fetched from elsewhere as `{dataDir}/{SYMBOL}_{TIMEFRAME}.csv`, atomically:
 * the bytes are checked against `sha256`, written to a hidden temp file in `dataDir`, then renamed
 * over the target, so a reader sees the old file or the new one, never a partial one (and two
 * concurrent installs of the same bytes both succeed). The file is 0644.
 *
 * @throws DataError `DATA_INVALID` when the bytes do not hash to `sha256` (or symbol/timeframe are unsafe).
 */
export async function installDataFile(dataDir: string, symbol: string, timeframe: string, bytes: Buffer, sha256: string): Promise<string> {
  const target = ohlcvPath(dataDir, symbol, timeframe);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256) {
    throw new DataError('DATA_INVALID', `${symbol}_${timeframe}.csv: hash mismatch (expected ${sha256}, got ${actual})`, { symbol, timeframe });
  }
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  const tmp = join(dataDir, `.tmp-${symbol}_${timeframe}-${randomBytes(6).toString('hex')}.csv`);
  try {
    await writeFile(tmp, bytes, { mode: 0o644 });
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return target;
}
