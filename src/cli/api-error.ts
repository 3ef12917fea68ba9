import type { ErrorBody, NoWorkersBody } from '../contracts/index.js';

/** One offending request field, as the backend's 400 body names it. */
export interface ApiFieldIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * The backend answered with an HTTP error. `code` is the stable error code from the body
 * (`OPERATION_NOT_FOUND`, `NO_WORKERS_AVAILABLE`, `VALIDATION_FAILED`, ...) or `HTTP_<status>` when
 * the body had none; the message is one line, written for a human.
 */
export class ApiError extends Error {
  readonly code: string;
  /** The backend's own human message (`detail` of ErrorBody, `error` of the 503 body). */
  readonly detail: string;
  readonly errors: readonly ApiFieldIssue[];
  /** The parsed response body (or its text when it was not JSON). */
  readonly body: unknown;

  constructor(
    readonly status: number,
    init: { code: string; detail: string; errors?: readonly ApiFieldIssue[]; body?: unknown; message?: string },
  ) {
    super(init.message ?? init.detail);
    this.name = 'ApiError';
    this.code = init.code;
    this.detail = init.detail;
    this.errors = init.errors ?? [];
    this.body = init.body;
  }

  /**
   * Builds the error from a non-2xx reply. Knows the two documented bodies: ErrorBody
   * `{detail, code, errors?}` and the 503 NoWorkersBody `{error, worker_type, registered_workers, hint}`.
   *
   * @param request - e.g. `GET /api/v1/operations/op_1`, used when the body says nothing useful
   */
  static fromResponse(status: number, statusText: string, body: unknown, request: string): ApiError {
    if (isNoWorkersBody(body)) {
      const n = body.registered_workers;
      const detail = `${body.error} (${n} ${body.worker_type} worker${n === 1 ? '' : 's'} registered). ${body.hint}`;
      return new ApiError(status, { code: 'NO_WORKERS_AVAILABLE', detail, body });
    }
    if (isErrorBody(body)) {
      const errors = Array.isArray(body.errors) ? body.errors : [];
      // Validation details usually already list the fields; add them only when they don't.
      const missing = errors.filter((e) => !body.detail.includes(e.message));
      const message =
        missing.length > 0 ? `${body.detail} (${missing.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ')})` : body.detail;
      return new ApiError(status, { code: body.code, detail: body.detail, errors, body, message });
    }
    const text = typeof body === 'string' && body.trim() !== '' ? `: ${body.trim().split('\n')[0]?.slice(0, 200)}` : '';
    const detail = `HTTP ${status}${statusText ? ` ${statusText}` : ''} from ${request}${text}`;
    return new ApiError(status, { code: `HTTP_${status}`, detail, body });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNoWorkersBody(body: unknown): body is NoWorkersBody {
  return isObject(body) && typeof body['error'] === 'string' && typeof body['worker_type'] === 'string' && typeof body['hint'] === 'string';
}

function isErrorBody(body: unknown): body is ErrorBody {
  return isObject(body) && typeof body['detail'] === 'string' && typeof body['code'] === 'string';
}
