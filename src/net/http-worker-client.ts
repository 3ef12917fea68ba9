import { Compile } from 'typebox/compile';
import { parseBody, requestJson } from './http-json.js';
import { ProbeConnections } from './probe-connections.js';
import { BOOT_ID_HEADER, WORKER_ID_HEADER, WorkerHealthReport, type MetricRecord, type Operation } from '../contracts/index.js';
import { OperationUnknownToWorkerError, type StartOutcome, type WorkerClient } from '../core/worker-client.js';

/** Compiled once: a health round checks thousands of replies. */
const HealthReportCheck = Compile(WorkerHealthReport);

/** A worker answered with a status the typed outcomes do not cover (5xx, 408, …). */
export class WorkerHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly url: string,
  ) {
    super(`${url} answered HTTP ${status}${describeBody(body)}`);
    this.name = 'WorkerHttpError';
  }
}

function describeBody(body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const msg = b['detail'] ?? b['error'] ?? b['message'];
    if (typeof msg === 'string') return `: ${msg}`;
  }
  return '';
}

export interface WorkerClientOptions {
  /** Bearer token sent to workers. @defaultValue undefined */
  apiToken?: string;
  /** Timeout of one request to a worker. @defaultValue 10000 */
  requestTimeoutMs?: number;
}

/**
 * The backend's HTTP client for workers: core's WorkerClient over the workers' REST API. Every call
 * has a deadline; HTTP statuses become the typed outcomes core knows, anything else throws
 * (WorkerHttpError, or Node's network error: see http-json.ts).
 */
export class HttpWorkerClient implements WorkerClient {
  readonly #opts: Required<Omit<WorkerClientOptions, 'apiToken'>> & { apiToken: string | undefined };

  /** Health probes' persistent connections (the lean client: a round over thousands of workers). */
  readonly #probes = new ProbeConnections({ idleMs: 30_000 });
  readonly #probeHeaders: Record<string, string>;

  constructor(options: WorkerClientOptions = {}) {
    this.#opts = { requestTimeoutMs: 10_000, ...options, apiToken: options.apiToken };
    this.#probeHeaders = { accept: 'application/json', 'x-ktrdr-backend': '1', ...(options.apiToken ? { authorization: `Bearer ${options.apiToken}` } : {}) };
  }

  /** Closes the idle health-probe connections (they hold no process open meanwhile). */
  close(): void {
    this.#probes.close();
  }

  async #request<T>(method: string, url: string, body?: unknown, timeoutMs?: number, signal?: AbortSignal, connection: 'short' | 'long' = 'short'): Promise<T> {
    return (await this.#exchange<T>(method, url, body, timeoutMs, signal, connection)).body;
  }

  async #exchange<T>(
    method: string,
    url: string,
    body?: unknown,
    timeoutMs?: number,
    signal?: AbortSignal,
    connection: 'short' | 'long' = 'short',
  ): Promise<{ body: T; header: (name: string) => string | null }> {
    const headers: Record<string, string> = { accept: 'application/json', 'x-ktrdr-backend': '1' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#opts.apiToken) headers['authorization'] = `Bearer ${this.#opts.apiToken}`;
    const res = await requestJson({
      method,
      url,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      timeoutMs: timeoutMs ?? this.#opts.requestTimeoutMs,
      ...(signal ? { signal } : {}),
      connection,
    });
    const parsed = parseBody(res.text);
    if (res.status < 200 || res.status > 299) throw new WorkerHttpError(res.status, parsed, `${method} ${url}`);
    return { body: parsed as T, header: res.header };
  }

  /** `GET {worker}/health`, validated against the contract. */
  async health(endpointUrl: string, timeoutMs: number, signal?: AbortSignal): Promise<WorkerHealthReport> {
    // Kept between rounds (idle 30 s, well under the workers' 72 s): a round over thousands of
    // workers then costs a request each, not a TCP handshake and a close each.
    const url = `${endpointUrl}/health`;
    const res = url.startsWith('http:')
      ? await this.#probes.get({ url, headers: this.#probeHeaders, timeoutMs, ...(signal ? { signal } : {}) })
      : await requestJson({ method: 'GET', url, headers: this.#probeHeaders, timeoutMs, ...(signal ? { signal } : {}), connection: 'long' });
    const report = parseBody(res.text);
    if (res.status < 200 || res.status > 299) throw new WorkerHttpError(res.status, report, `GET ${url}`);
    if (!HealthReportCheck.Check(report)) {
      throw new Error(`${endpointUrl}/health: reply does not match the health contract`);
    }
    return report;
  }

  /**
   * `GET {endpoint}/health` plus who answered: workers name themselves in the `x-ktrdr-worker-id` and
   * `x-ktrdr-boot-id` headers, so registration can tell the worker at an endpoint from an impostor.
   */
  async probe(
    endpointUrl: string,
    timeoutMs: number,
  ): Promise<{ report: WorkerHealthReport; workerId: string | null; bootId: string | null }> {
    const { body, header } = await this.#exchange<unknown>('GET', `${endpointUrl}/health`, undefined, timeoutMs);
    if (!HealthReportCheck.Check(body)) throw new Error(`${endpointUrl}/health: reply does not match the health contract`);
    return { report: body, workerId: header(WORKER_ID_HEADER), bootId: header(BOOT_ID_HEADER) };
  }

  async start(endpointUrl: string, path: string, body: Record<string, unknown>, timeoutMs?: number): Promise<StartOutcome> {
    try {
      await this.#request('POST', `${endpointUrl}${path}`, body, timeoutMs);
      return { kind: 'started' };
    } catch (err) {
      if (!(err instanceof WorkerHttpError) || err.status === 408 || err.status >= 500 && err.status !== 503) throw err;
      const b = (err.body && typeof err.body === 'object' ? err.body : {}) as { detail?: string; error?: string; current_operation?: string | null };
      const message = b.detail ?? b.error ?? err.message;
      if (err.status === 503) return { kind: 'busy', currentOperation: b.current_operation ?? null, message: err.message };
      if (err.status === 409) return { kind: 'refused', message: err.message };
      return { kind: 'rejected', status: err.status, message };
    }
  }

  async getOperation(endpointUrl: string, operationId: string, timeoutMs?: number): Promise<Operation> {
    const r = await this.#known(endpointUrl, operationId, () =>
      this.#request<{ data: Operation }>('GET', `${endpointUrl}/api/v1/operations/${encodeURIComponent(operationId)}`, undefined, timeoutMs),
    );
    return r.data;
  }

  async cancel(endpointUrl: string, operationId: string, reason?: string, timeoutMs?: number): Promise<Operation> {
    const r = await this.#known(endpointUrl, operationId, () =>
      this.#request<{ data: Operation }>(
        'DELETE',
        `${endpointUrl}/api/v1/operations/${encodeURIComponent(operationId)}/cancel`,
        reason === undefined ? undefined : { reason },
        timeoutMs,
      ),
    );
    return r.data;
  }

  async revokePrefetch(endpointUrl: string, operationId: string, attemptId: string, timeoutMs?: number): Promise<'revoked' | 'started'> {
    const r = await this.#request<{ outcome?: unknown }>('POST', `${endpointUrl}/api/v1/prefetch/revoke`, { operation_id: operationId, attempt_id: attemptId }, timeoutMs);
    if (r.outcome !== 'revoked' && r.outcome !== 'started') throw new Error(`${endpointUrl}/api/v1/prefetch/revoke answered without an outcome`);
    return r.outcome;
  }

  /** A 404 about an operation means the worker does not know it. */
  async #known<T>(endpointUrl: string, operationId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof WorkerHttpError && err.status === 404) throw new OperationUnknownToWorkerError(endpointUrl, operationId);
      throw err;
    }
  }

  async metrics(endpointUrl: string, operationId: string, cursor: number): Promise<{ metrics: MetricRecord[]; new_cursor: number }> {
    const r = await this.#request<{ data: { metrics: MetricRecord[]; new_cursor: number } }>(
      'GET',
      `${endpointUrl}/api/v1/operations/${encodeURIComponent(operationId)}/metrics?cursor=${cursor}`,
    );
    return r.data;
  }

  /** The operation's full result artifact (e.g. all trades and the full equity curve), or null if it has none. */
  async results(endpointUrl: string, operationId: string): Promise<unknown | null> {
    try {
      const r = await this.#request<{ data: unknown }>('GET', `${endpointUrl}/api/v1/operations/${encodeURIComponent(operationId)}/results`);
      return r.data;
    } catch (err) {
      if (err instanceof WorkerHttpError && err.status === 404) return null;
      throw err;
    }
  }
}
