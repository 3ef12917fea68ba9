import { InvalidRequestError } from '../../contracts/errors.js';
import { listAvailableData, ohlcvPath } from '../../domain/data/data-files.js';
import type { FileSha256Cache } from '../../domain/data/file-sha256.js';
import { describeAvailable } from '../../domain/data/ohlcv-loader.js';

/**
 * The backend's side of data by content hash: the SHA-256 of each CSV a request needs
 * (`{SYMBOL}_{TIMEFRAME}` → hex), sent to the worker as `data_sha256` so it runs on exactly these
 * bytes (fetching them when it lacks them). Hashes bytes, cached by mtime and size; never parses
 * a CSV, so the dates are checked on the worker.
 *
 * @throws InvalidRequestError naming `symbol` (no data for it) or `timeframe` (the symbol has data,
 *   but not in a timeframe the strategy needs) when a file is missing.
 */
export async function dataSha256Or400(
  hashes: FileSha256Cache,
  dataDir: string,
  symbol: string,
  timeframes: readonly string[],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const tf of timeframes) {
    let path: string;
    try {
      path = ohlcvPath(dataDir, symbol, tf);
    } catch (err) {
      throw InvalidRequestError.field('symbol', (err as Error).message);
    }
    const sha256 = await hashes.sha256(path);
    if (sha256 === undefined) {
      const field = symbolHasData(dataDir, symbol) ? 'timeframe' : 'symbol';
      throw InvalidRequestError.field(field, `no ${symbol} ${tf} data: '${path}' does not exist; ${describeAvailable(dataDir, symbol)}`);
    }
    out[`${symbol}_${tf}`] = sha256;
  }
  return out;
}

function symbolHasData(dataDir: string, symbol: string): boolean {
  try {
    return listAvailableData(dataDir).some((a) => a.symbol === symbol);
  } catch {
    return false;
  }
}

/** `{SYMBOL}_{TIMEFRAME}` keys of `data_sha256` back into their parts. */
export function splitDataKey(key: string): { symbol: string; timeframe: string } | undefined {
  const m = /^(.+)_([0-9]+[mhdwM])$/.exec(key);
  return m ? { symbol: m[1]!, timeframe: m[2]! } : undefined;
}
