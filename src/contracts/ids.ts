import { randomBytes } from 'node:crypto';

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Backend operation id: `op_{type}_{YYYYmmdd_HHMMSS}_{8 hex}` (UTC). */
export function newOperationId(operationType: string, now: Date = new Date()): string {
  const stamp =
    `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}_` +
    `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  return `op_${operationType}_${stamp}_${randomBytes(4).toString('hex')}`;
}

/** Id a worker gives an operation started without a task_id: `worker_{domain}_{12 hex}`. */
export function newWorkerOperationId(domain: string): string {
  return `worker_${domain}_${randomBytes(6).toString('hex')}`;
}
