import { randomUUID } from 'node:crypto';

/**
 * `chars` (≤ 12) random hex digits. From randomUUID, whose entropy Node draws in batches: a few
 * hundred ns, where randomBytes asks the CSPRNG on every call (tens of µs on the dispatch path).
 */
export function randomHex(chars: number): string {
  if (chars > 12) throw new RangeError('randomHex gives at most 12 digits: the first random ones of a UUID');
  const u = randomUUID();
  return (u.slice(0, 8) + u.slice(9, 13)).slice(0, chars);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Backend operation id: `op_{type}_{YYYYmmdd_HHMMSS}_{8 hex}` (UTC). */
export function newOperationId(operationType: string, now: Date = new Date()): string {
  const stamp =
    `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}_` +
    `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  return `op_${operationType}_${stamp}_${randomHex(8)}`;
}

/** Id a worker gives an operation started without a task_id: `worker_{domain}_{12 hex}`. */
export function newWorkerOperationId(domain: string): string {
  return `worker_${domain}_${randomHex(12)}`;
}
