import type { Static } from 'typebox';
import type {
  BacktestStartBody,
  TrainingStartRequest,
  WorkersMetrics,
  SweepCreated,
  SweepRequest,
  SweepTable,
  SweepView,
  BackendHealth,
  CancelRequest,
  CancelResponse,
  MetricsResponse,
  OperationEnvelope,
  OperationList,
  OperationStatus,
  SubmitResponse,
  WorkerInfo,
  WorkersHealthSummary,
} from '../contracts/index.js';
import { ApiError } from './api-error.js';
import { BackendUnreachableError } from './backend-unreachable-error.js';

/** Filters of `GET /api/v1/operations`. */
export interface ListOperationsQuery {
  status?: OperationStatus;
  operationType?: string;
  limit?: number;
  offset?: number;
  activeOnly?: boolean;
}

/** Filters of `GET /api/v1/workers`. */
export interface ListWorkersQuery {
  workerType?: string;
  status?: string;
}

/**
 * `GET /api/v1/operations/{id}/results`: the result artifact; its shape depends on the operation
 * type. A backtest's `equity_curve` is `{ time[], equity[], benchmark_equity[], drawdown_pct[], bars, downsampled }`.
 */
export interface ResultsResponse {
  success: boolean;
  data: unknown;
}

export type BackendHealthReply = Static<typeof BackendHealth>;

/** The `fetch` the client calls; global fetch unless a test passes another. */
export type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

/** Options of {@link BackendClient}. */
export interface BackendClientOptions {
  /** Backend base URL, e.g. `http://localhost:8000` (a trailing `/` is ignored). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` when set. @defaultValue undefined */
  token?: string;
  /** Timeout of one read request. @defaultValue 10000 */
  timeoutMs?: number;
  /**
   * Timeout of a start request: the backend validates, then dispatches to a worker (with its own
   * per-worker timeout and retries) before it answers. @defaultValue 60000
   */
  startTimeoutMs?: number;
  /** @defaultValue globalThis.fetch */
  fetch?: FetchFn;
}

const defaults = { timeoutMs: 10_000, startTimeoutMs: 60_000 };

/** Codes of Node's network errors worth naming in the unreachable message. */
const NETWORK_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

/**
 * Typed client of the ktrdr backend API (`/health` and `/api/v1/...`) over global `fetch`.
 * Every method resolves with the parsed JSON body of a 2xx reply and rejects with
 * {@link ApiError} for an HTTP error or {@link BackendUnreachableError} when no reply came.
 */
export class BackendClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #startTimeoutMs: number;
  readonly #fetch: FetchFn;

  constructor(options: BackendClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
    this.#startTimeoutMs = options.startTimeoutMs ?? defaults.startTimeoutMs;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** `GET /health`. */
  health(): Promise<BackendHealthReply> {
    return this.#request('GET', '/health');
  }

  /** `GET /api/v1/workers` (a bare array). */
  listWorkers(query: ListWorkersQuery = {}): Promise<WorkerInfo[]> {
    return this.#request('GET', `/api/v1/workers${queryString({ worker_type: query.workerType, status: query.status })}`);
  }

  /** `GET /api/v1/workers/health`. */
  workersHealth(): Promise<WorkersHealthSummary> {
    return this.#request('GET', '/api/v1/workers/health');
  }

  /** `GET /api/v1/workers/{id}`. */
  getWorker(workerId: string): Promise<WorkerInfo> {
    return this.#request('GET', `/api/v1/workers/${encodeURIComponent(workerId)}`);
  }

  /** `GET /api/v1/metrics/workers`. */
  workersMetrics(): Promise<WorkersMetrics> {
    return this.#request('GET', '/api/v1/metrics/workers');
  }

  /** `POST /api/v1/backtests/start`: started on a worker, or queued until one is free (429 QUEUE_FULL when the queue is full). */
  startBacktest(request: BacktestStartBody): Promise<SubmitResponse> {
    return this.#request('POST', '/api/v1/backtests/start', request, this.#startTimeoutMs);
  }

  /** `POST /api/v1/training/start`. */
  startTraining(request: TrainingStartRequest): Promise<SubmitResponse> {
    return this.#request('POST', '/api/v1/training/start', request, this.#startTimeoutMs);
  }

  /** `GET /api/v1/operations`. */
  listOperations(query: ListOperationsQuery = {}): Promise<OperationList> {
    const qs = queryString({
      status: query.status,
      operation_type: query.operationType,
      limit: query.limit,
      offset: query.offset,
      active_only: query.activeOnly === true ? true : undefined,
    });
    return this.#request('GET', `/api/v1/operations${qs}`);
  }

  /** `GET /api/v1/operations/{id}`. */
  getOperation(operationId: string): Promise<OperationEnvelope> {
    return this.#request('GET', `/api/v1/operations/${encodeURIComponent(operationId)}`);
  }

  /** `GET /api/v1/operations/{id}/metrics?cursor=N`: the records after `cursor` and the cursor to pass next. */
  getMetrics(operationId: string, cursor = 0): Promise<MetricsResponse> {
    return this.#request('GET', `/api/v1/operations/${encodeURIComponent(operationId)}/metrics${queryString({ cursor })}`);
  }

  /** `GET /api/v1/operations/{id}/results`: the equity curve downsampled, or every bar with `equity: 'full'`. */
  getResults(operationId: string, query: { equity?: 'full' | 'downsampled'; maxPoints?: number } = {}): Promise<ResultsResponse> {
    const qs = queryString({ equity: query.equity, max_points: query.maxPoints });
    return this.#request('GET', `/api/v1/operations/${encodeURIComponent(operationId)}/results${qs}`);
  }

  /** `POST /api/v1/sweeps`. */
  startSweep(request: SweepRequest): Promise<SweepCreated> {
    return this.#request('POST', '/api/v1/sweeps', request, this.#startTimeoutMs);
  }

  /** `GET /api/v1/sweeps/{id}`. */
  getSweep(sweepId: string): Promise<SweepView> {
    return this.#request('GET', `/api/v1/sweeps/${encodeURIComponent(sweepId)}`);
  }

  /** `GET /api/v1/sweeps/{id}/table` (JSON). */
  getSweepTable(sweepId: string, sort?: string, order?: 'asc' | 'desc'): Promise<SweepTable> {
    return this.#request('GET', `/api/v1/sweeps/${encodeURIComponent(sweepId)}/table${queryString({ sort, order })}`);
  }

  /** `DELETE /api/v1/operations/{id}/cancel`. */
  cancelOperation(operationId: string, reason?: string): Promise<CancelResponse> {
    const body: CancelRequest = reason === undefined ? {} : { reason };
    return this.#request('DELETE', `/api/v1/operations/${encodeURIComponent(operationId)}/cancel`, body);
  }

  async #request<T>(method: string, path: string, body?: unknown, timeoutMs = this.#timeoutMs): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#token !== undefined) headers['authorization'] = `Bearer ${this.#token}`;
    let response: Response;
    let text: string;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      response = await this.#fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
      // The body read is under the same timeout signal, so a stalled body is caught here too.
      text = await response.text();
    } catch (err) {
      throw new BackendUnreachableError(this.baseUrl, describeNetworkError(err, timeoutMs), { cause: err });
    }
    let parsed: unknown = text;
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON (a proxy's HTML page, say): keep the text for the error message.
      }
    }
    if (!response.ok) throw ApiError.fromResponse(response.status, response.statusText, parsed, `${method} ${path}`);
    if (typeof parsed === 'string') {
      throw new ApiError(response.status, {
        code: 'INVALID_RESPONSE',
        detail: `${method} ${path} did not return JSON (is ${this.baseUrl} a ktrdr backend?)`,
        body: parsed,
      });
    }
    return parsed as T;
  }
}

function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const s = search.toString();
  return s === '' ? '' : `?${s}`;
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no reply within ${+(timeoutMs / 1000).toFixed(1)} s`;
  }
  // undici wraps the socket error: TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }).
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_REASONS[code] !== undefined) return NETWORK_REASONS[code];
    if (e.cause === undefined) break;
    e = e.cause;
  }
  return e instanceof Error ? e.message : String(err);
}
