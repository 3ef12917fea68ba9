import {
  isTerminal,
  type MetricRecord,
  type Operation,
  type OperationMetadata,
  type OperationStatus,
} from '../contracts/index.js';
import { completedProgress, mergeProgress, startingProgress, type JobOutput, type ProgressUpdate } from './job.js';

interface Entry {
  op: Operation;
  metrics: MetricRecord[];
  /** The full result until the backend has it (then dropped: it may be tens of MiB). */
  artifact: unknown;
  /** The artifact was delivered to the backend and dropped here. */
  artifactDropped: boolean;
  controller: AbortController;
  /** The backend has the final state (it acknowledged the pushed report, or read the op after it ended). */
  finalStateRead: boolean;
}

/**
 * The worker's own record of the operations it ran (the seeds' worker-local OperationsService):
 * what the backend reads through `GET /api/v1/operations/{id}`. Bounded: old finished ops are
 * forgotten once `keep` is exceeded (the backend has stored them by then).
 */
export class WorkerOperations {
  readonly #entries = new Map<string, Entry>();
  /** Ids of every operation this process accepted (bounded), so a task_id never runs twice here. */
  readonly #seen = new Set<string>();
  readonly #workerId: string;
  readonly #keep: number;
  readonly #keepArtifacts: number;

  /**
   * @param keep finished operations remembered (their small records)
   * @param keepArtifacts artifacts held that the backend has not acknowledged; beyond it the
   *   oldest is dropped (the backend reads a final state within seconds, or never will)
   */
  constructor(workerId: string, keep = 200, keepArtifacts = 4) {
    this.#workerId = workerId;
    this.#keep = keep;
    this.#keepArtifacts = keepArtifacts;
  }

  /** True when this process already accepted an operation with this id. */
  seen(operationId: string, attemptId: string | null = null): boolean {
    return this.#seen.has(operationId) || (attemptId !== null && this.#seen.has(`${operationId}#${attemptId}`));
  }

  create(
    operationId: string,
    operationType: string,
    metadata: OperationMetadata,
    attemptId: string | null = null,
  ): { op: Operation; signal: AbortSignal } {
    // With an attempt id, only that attempt is remembered: the backend may dispatch the same
    // operation again under a new attempt (after it lost track of this worker), never the same one.
    this.#seen.add(attemptId === null ? operationId : `${operationId}#${attemptId}`);
    if (this.#seen.size > 100_000) this.#seen.delete(this.#seen.values().next().value as string);
    const now = new Date().toISOString();
    const op: Operation = {
      operation_id: operationId,
      operation_type: operationType,
      status: 'running',
      worker_id: this.#workerId,
      created_at: now,
      started_at: now,
      completed_at: null,
      progress: startingProgress(),
      metadata,
      error_message: null,
      result_summary: null,
      attempt_id: attemptId,
    };
    const controller = new AbortController();
    this.#entries.set(operationId, { op, metrics: [], artifact: undefined, artifactDropped: false, controller, finalStateRead: false });
    this.#prune();
    return { op, signal: controller.signal };
  }

  has(operationId: string): boolean {
    return this.#entries.has(operationId);
  }

  /** Reading a finished op marks its final state as delivered. */
  read(operationId: string): Operation | undefined {
    const e = this.#entries.get(operationId);
    if (!e) return undefined;
    if (isTerminal(e.op.status)) e.finalStateRead = true;
    return e.op;
  }

  list(): Operation[] {
    return [...this.#entries.values()].map((e) => e.op).reverse();
  }

  progress(operationId: string, update: ProgressUpdate): void {
    const e = this.#entries.get(operationId);
    if (!e || isTerminal(e.op.status)) return;
    e.op = { ...e.op, progress: mergeProgress(e.op.progress, update) };
  }

  metric(operationId: string, record: MetricRecord): void {
    this.#entries.get(operationId)?.metrics.push(record);
  }

  metrics(operationId: string, cursor: number): { metrics: MetricRecord[]; new_cursor: number } | undefined {
    const e = this.#entries.get(operationId);
    if (!e) return undefined;
    const metrics = e.metrics.slice(cursor);
    return { metrics, new_cursor: Math.max(cursor, e.metrics.length) };
  }

  /** The op's artifact; `dropped` when it was delivered to the backend and forgotten here. */
  artifact(operationId: string): { found: boolean; artifact: unknown; dropped: boolean } {
    const e = this.#entries.get(operationId);
    return { found: e !== undefined && e.artifact !== undefined, artifact: e?.artifact, dropped: e?.artifactDropped ?? false };
  }

  /** Forgets an op's artifact once the backend has it; the op's record and summary stay. */
  dropArtifact(operationId: string): void {
    const e = this.#entries.get(operationId);
    if (!e || e.artifact === undefined) return;
    e.artifact = undefined;
    e.artifactDropped = true;
  }

  /** How many artifacts this worker still holds. */
  artifactCount(): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.artifact !== undefined) n++;
    return n;
  }

  complete(operationId: string, output: JobOutput): void {
    this.#finish(operationId, 'completed', null, (e) => {
      e.artifact = output.artifact;
      e.op = {
        ...e.op,
        result_summary: output.summary,
        progress: completedProgress(e.op.progress),
      };
    });
    let excess = this.artifactCount() - this.#keepArtifacts;
    for (const [id, e] of this.#entries) {
      if (excess <= 0) break;
      if (id !== operationId && e.artifact !== undefined) {
        this.dropArtifact(id);
        excess--;
      }
    }
  }

  fail(operationId: string, message: string): void {
    this.#finish(operationId, 'failed', message);
  }

  markCancelled(operationId: string, message: string): void {
    this.#finish(operationId, 'cancelled', message, (e) => {
      e.op = { ...e.op, progress: { ...e.op.progress, current_step: 'Cancelled' } };
    });
  }

  /** Signals the job to stop; its runner marks it cancelled once it has. */
  requestCancel(operationId: string, reason: string): boolean {
    const e = this.#entries.get(operationId);
    if (!e || isTerminal(e.op.status)) return false;
    e.controller.abort(reason);
    return true;
  }

  cancelReason(operationId: string): string | undefined {
    const reason: unknown = this.#entries.get(operationId)?.controller.signal.reason;
    return typeof reason === 'string' ? reason : undefined;
  }

  finalStateRead(operationId: string): boolean {
    return this.#entries.get(operationId)?.finalStateRead ?? true;
  }

  /** The backend acknowledged the pushed final state. */
  markFinalStateDelivered(operationId: string): void {
    const e = this.#entries.get(operationId);
    if (e) e.finalStateRead = true;
  }

  /** The job thread pushed the final state (and the artifact, if there was one) to the backend itself. */
  markDelivered(operationId: string, hadArtifact: boolean): void {
    const e = this.#entries.get(operationId);
    if (!e) return;
    e.finalStateRead = true;
    if (hadArtifact) e.artifactDropped = true;
  }

  /** The op's metrics and artifact, for the final report. */
  finalReport(operationId: string): { op: Operation; metrics: MetricRecord[]; artifact: unknown } | undefined {
    const e = this.#entries.get(operationId);
    return e ? { op: e.op, metrics: e.metrics, artifact: e.artifact } : undefined;
  }

  #finish(operationId: string, status: OperationStatus, message: string | null, mutate?: (e: Entry) => void): void {
    const e = this.#entries.get(operationId);
    if (!e || isTerminal(e.op.status)) return;
    mutate?.(e);
    e.op = { ...e.op, status, error_message: message, completed_at: new Date().toISOString() };
  }

  #prune(): void {
    if (this.#entries.size <= this.#keep) return;
    for (const [id, e] of this.#entries) {
      if (this.#entries.size <= this.#keep) break;
      if (isTerminal(e.op.status)) this.#entries.delete(id);
    }
  }
}
