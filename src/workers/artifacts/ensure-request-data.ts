import { InvalidRequestError } from '../../contracts/errors.js';
import { splitDataKey } from './data-identity.js';
import type { WorkerArtifacts } from './worker-artifacts.js';

/** Makes this host's data dir hold every CSV of a request's `data_sha256` (fetching what differs). */
export async function ensureRequestData(artifacts: WorkerArtifacts, dataSha256: Readonly<Record<string, string>> | undefined): Promise<void> {
  for (const [key, sha256] of Object.entries(dataSha256 ?? {})) {
    const parts = splitDataKey(key);
    if (!parts) throw InvalidRequestError.field('data_sha256', `'${key}' is not {SYMBOL}_{TIMEFRAME}`);
    await artifacts.ensureData(parts.symbol, parts.timeframe, sha256);
  }
}
