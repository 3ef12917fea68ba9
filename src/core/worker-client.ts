import type { MetricRecord, Operation, WorkerHealthReport } from '../contracts/index.js';

/**
 * What the backend asks its workers, with typed outcomes: core decides on these, never on HTTP
 * status codes. The HTTP implementation is `net/http-worker-client.ts` (wired in bin/backend.ts);
 * tests may pass any other.
 *
 * Every call has a deadline. A worker that cannot be reached, times out or fails (5xx) rejects the
 * promise with an ordinary Error naming the worker and what went wrong.
 */
export interface WorkerClient {
  /** `/health`, checked against the contract. */
  health(endpointUrl: string, timeoutMs: number, signal?: AbortSignal): Promise<WorkerHealthReport>;
  /** `/health` plus who answered (the worker id and boot id it names itself with), for admission. */
  probe(endpointUrl: string, timeoutMs: number): Promise<{ report: WorkerHealthReport; workerId: string | null; bootId: string | null }>;
  /** Asks the worker to start a job. */
  start(endpointUrl: string, path: string, body: Record<string, unknown>, timeoutMs?: number): Promise<StartOutcome>;
  /** The op as the worker serves it. @throws OperationUnknownToWorkerError */
  getOperation(endpointUrl: string, operationId: string, timeoutMs?: number): Promise<Operation>;
  /** @throws OperationUnknownToWorkerError */
  cancel(endpointUrl: string, operationId: string, reason?: string, timeoutMs?: number): Promise<Operation>;
  metrics(endpointUrl: string, operationId: string, cursor: number): Promise<{ metrics: MetricRecord[]; new_cursor: number }>;
  /** The op's full result artifact, or null when the worker has none. */
  results(endpointUrl: string, operationId: string): Promise<unknown | null>;
  /**
   * Takes back a job given ahead (prefetched) in a report reply. `revoked`: it will never start
   * there; `started`: it did already (its claim is on the way).
   */
  revokePrefetch(endpointUrl: string, operationId: string, attemptId: string, timeoutMs?: number): Promise<'revoked' | 'started'>;
}

/** What a worker said to a start request. */
export type StartOutcome =
  | { kind: 'started' }
  /** It runs something else (or drains): try another worker. */
  | { kind: 'busy'; currentOperation: string | null; message: string }
  /** It refuses this attempt (it already ran the task, or the attempt is no longer current): try another. */
  | { kind: 'refused'; message: string }
  /** It rejects the request itself (bad input): no other worker would take it either. */
  | { kind: 'rejected'; status: number; message: string };

/** The worker does not know this operation (it restarted, or never ran it). */
export class OperationUnknownToWorkerError extends Error {
  constructor(
    readonly endpointUrl: string,
    readonly operationId: string,
  ) {
    super(`${endpointUrl} does not know operation ${operationId}`);
    this.name = 'OperationUnknownToWorkerError';
  }
}
