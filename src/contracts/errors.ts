/** Stable error codes: the contract the HTTP layer and the CLI switch on. */
export type ErrorCode =
  | 'WORKER_NOT_FOUND'
  | 'OPERATION_NOT_FOUND'
  | 'INVALID_REQUEST'
  | 'OPERATION_NOT_CANCELLABLE'
  | 'RESULTS_NOT_AVAILABLE'
  | 'WORKER_CONFLICT'
  | 'ENDPOINT_UNREACHABLE'
  | 'STALE_ATTEMPT'
  | 'OPERATION_ENDED'
  | 'QUEUE_FULL'
  | 'ARTIFACT_NOT_FOUND'
  | 'ARTIFACT_CONFLICT'
  | 'CLAIMED_ELSEWHERE';

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class WorkerNotFoundError extends DomainError {
  readonly code = 'WORKER_NOT_FOUND';
  constructor(readonly workerId: string) {
    super(`Worker '${workerId}' not found`);
  }
}

export class OperationNotFoundError extends DomainError {
  readonly code = 'OPERATION_NOT_FOUND';
  constructor(readonly operationId: string) {
    super(`Operation '${operationId}' not found`);
  }
}

export interface FieldIssue {
  path: string;
  message: string;
}

/** A request that is well-formed JSON but wrong: names each offending field. */
export class InvalidRequestError extends DomainError {
  readonly code = 'INVALID_REQUEST';
  constructor(readonly issues: FieldIssue[]) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '));
  }
  static field(path: string, message: string): InvalidRequestError {
    return new InvalidRequestError([{ path, message }]);
  }
}

export class OperationNotCancellableError extends DomainError {
  readonly code = 'OPERATION_NOT_CANCELLABLE';
  constructor(readonly operationId: string, readonly status: string) {
    super(`Operation '${operationId}' is already ${status} and cannot be cancelled`);
  }
}

export class ResultsNotAvailableError extends DomainError {
  readonly code = 'RESULTS_NOT_AVAILABLE';
  constructor(readonly operationId: string, reason: string) {
    super(`Results for operation '${operationId}' are not available: ${reason}`);
  }
}

/** A registration that would take over another live worker's id, endpoint or operation. */
export class WorkerConflictError extends DomainError {
  readonly code = 'WORKER_CONFLICT';
  constructor(readonly workerId: string, message: string) {
    super(message);
  }
}

/** The backend could not reach (or identify) the endpoint a worker registered with. */
export class EndpointUnreachableError extends DomainError {
  readonly code = 'ENDPOINT_UNREACHABLE';
  constructor(readonly endpointUrl: string, reason: string) {
    super(`endpoint_url: ${endpointUrl} is not reachable from the backend as this worker (${reason}); set WORKER_ENDPOINT_URL to an address the backend can reach`);
  }
}

/** A worker reported on an attempt that is not its operation's current one: it must stop it. */
export class StaleAttemptError extends DomainError {
  readonly code = 'STALE_ATTEMPT';
  constructor(readonly operationId: string, reason: string) {
    super(`Operation '${operationId}': ${reason}`);
  }
}

/** The operation ended (e.g. was cancelled) before it could start. */
export class OperationEndedError extends DomainError {
  readonly code = 'OPERATION_ENDED';
  constructor(readonly operationId: string, readonly status: string) {
    super(`Operation '${operationId}' was ${status} before it started`);
  }
}

/** The waiting queue is full: retry later. */
export class QueueFullError extends DomainError {
  readonly code = 'QUEUE_FULL';
  constructor(readonly limit: number, readonly retryAfterSeconds: number) {
    super(`The queue is full (${limit} operations waiting): retry in ${retryAfterSeconds} s, or raise KTRDR_MAX_QUEUED`);
  }
}

/** A model bundle or data file the backend's store does not have (`kind`: model, data). */
export class ArtifactNotFoundError extends DomainError {
  readonly code = 'ARTIFACT_NOT_FOUND';
  constructor(readonly kind: 'model' | 'data', readonly artifact: string, reason?: string) {
    super(`${kind === 'model' ? 'Model' : 'Data file'} '${artifact}' not found${reason ? `: ${reason}` : ''}`);
  }
}

/** A stored model version (or data file) already holds other content than the request expects. */
export class ArtifactConflictError extends DomainError {
  readonly code = 'ARTIFACT_CONFLICT';
  constructor(readonly kind: 'model' | 'data', readonly artifact: string, reason: string) {
    super(`${kind === 'model' ? 'Model' : 'Data file'} '${artifact}': ${reason}`);
  }
}

/**
 * Another backend on the same operations store took this queued operation first (the store's
 * claim, PostgreSQL `FOR UPDATE SKIP LOCKED`, found the row gone from the queue or locked).
 */
export class ClaimedElsewhereError extends DomainError {
  readonly code = 'CLAIMED_ELSEWHERE';
  constructor(readonly operationId: string) {
    super(`Operation '${operationId}' was taken from the queue by another backend on the same store`);
  }
}

/** Turns whatever was thrown into an Error (catch clauses receive `unknown`). */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}
