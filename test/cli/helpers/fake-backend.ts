import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import {
  MetricsResponse,
  Operation,
  OperationList,
  SubmitResponse,
  WorkerInfo,
  WorkersHealthSummary,
  emptyProgress,
  type MetricRecord,
  type OperationStatus,
} from '../../../src/contracts/index.js';

/** One request the fake backend received. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** A canned operation: successive GETs walk through `states` (the last one repeats). */
export interface ScriptedOperation {
  states: Operation[];
  /** Metric records visible after the n-th GET of the operation: `metricsAfter[n]` records (default: all). */
  metrics?: MetricRecord[];
  metricsVisibleAt?: number[];
  /** State served once a cancel request arrived. */
  cancelled?: Operation;
  gets: number;
}

type Handler = (req: RecordedRequest, res: ServerResponse) => void;

function assertContract(schema: TSchema, value: unknown, what: string): void {
  if (!Value.Check(schema, value)) {
    const [first] = Value.Errors(schema, value);
    throw new Error(`fake backend: canned ${what} does not match the contract: ${first?.instancePath} ${first?.message}`);
  }
}

/** A contract-shaped operation with defaults. */
export function makeOperation(partial: Partial<Operation> & { operation_id: string }): Operation {
  const op: Operation = {
    operation_type: 'backtesting',
    status: 'running',
    worker_id: 'backtest-worker-1',
    created_at: '2025-01-01T12:00:00.000Z',
    started_at: '2025-01-01T12:00:01.000Z',
    completed_at: null,
    progress: emptyProgress(),
    metadata: { symbol: 'EURUSD', timeframe: '1h', start_date: '2024-01-01', end_date: '2024-06-30', parameters: { strategy_name: 'rsi_macd_1h' } },
    error_message: null,
    result_summary: null,
    ...partial,
  };
  assertContract(Operation, op, 'operation');
  return op;
}

/** `{percentage, current_step, ...}` with the counters filled in. */
export function progressAt(percentage: number, currentStep: string | null, done = 0, total = 0) {
  return { ...emptyProgress(), percentage, current_step: currentStep, items_processed: done, items_total: total || null };
}

export function makeWorker(partial: Partial<WorkerInfo> & { worker_id: string }): WorkerInfo {
  const w: WorkerInfo = {
    worker_type: 'backtesting',
    endpoint_url: 'http://127.0.0.1:5003',
    status: 'available',
    current_operation_id: null,
    capabilities: { cores: 4 },
    last_health_check: '2025-01-01T12:00:00.000Z',
    last_healthy_at: '2025-01-01T12:00:00.000Z',
    health_check_failures: 0,
    metadata: {},
    ...partial,
  };
  assertContract(WorkerInfo, w, 'worker');
  return w;
}

/**
 * A tiny real HTTP server on 127.0.0.1:0 that answers like the ktrdr backend from canned,
 * contract-checked data, and records every request.
 */
export class FakeBackend {
  readonly requests: RecordedRequest[] = [];
  readonly operations = new Map<string, ScriptedOperation>();
  workers: WorkerInfo[] = [];
  /** Next reply of POST /backtests/start and /training/start: [status, body]. */
  startReply: [number, unknown] | undefined;
  /** When set, every /api route requires this bearer token. */
  token: string | undefined;
  readonly #server: Server;
  readonly #routes: Array<[string, RegExp, Handler]> = [];
  url = '';

  constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#route('GET', /^\/health$/, (_r, res) => send(res, 200, { healthy: true, service: 'ktrdr-backend', timestamp: new Date().toISOString(), version: '0.1.0' }));
    this.#route('GET', /^\/api\/v1\/workers$/, (r, res) => {
      const list = this.workers.filter(
        (w) => (!r.query['worker_type'] || w.worker_type === r.query['worker_type']) && (!r.query['status'] || w.status === r.query['status']),
      );
      send(res, 200, list);
    });
    this.#route('GET', /^\/api\/v1\/workers\/health$/, (_r, res) => {
      const summary: WorkersHealthSummary = { total_workers: this.workers.length, available: 0, busy: 0, temporarily_unavailable: 0, by_type: {} };
      for (const w of this.workers) {
        summary[w.status]++;
        const t = (summary.by_type[w.worker_type] ??= { available: 0, busy: 0, temporarily_unavailable: 0 });
        t[w.status]++;
      }
      assertContract(WorkersHealthSummary, summary, 'workers health');
      send(res, 200, summary);
    });
    this.#route('GET', /^\/api\/v1\/workers\/([^/]+)$/, (r, res) => {
      const id = decodeURIComponent(r.path.split('/').pop() as string);
      const w = this.workers.find((x) => x.worker_id === id);
      if (w) send(res, 200, w);
      else send(res, 404, { detail: `Worker '${id}' not found`, code: 'WORKER_NOT_FOUND' });
    });
    const start: Handler = (_r, res) => {
      const [status, body] = this.startReply ?? [500, { detail: 'no start reply scripted', code: 'INTERNAL' }];
      if (status === 200) assertContract(SubmitResponse, body, 'start response');
      send(res, status, body);
    };
    this.#route('POST', /^\/api\/v1\/backtests\/start$/, start);
    this.#route('POST', /^\/api\/v1\/training\/start$/, start);
    this.#route('GET', /^\/api\/v1\/operations$/, (r, res) => {
      let ops = [...this.operations.values()].map((s) => s.states[s.states.length - 1] as Operation);
      if (r.query['status']) ops = ops.filter((o) => o.status === r.query['status']);
      if (r.query['operation_type']) ops = ops.filter((o) => o.operation_type === r.query['operation_type']);
      if (r.query['active_only'] === 'true') ops = ops.filter((o) => o.status === 'pending' || o.status === 'running');
      const limit = Number(r.query['limit'] ?? 100);
      const body: OperationList = {
        success: true,
        data: ops.slice(0, limit).map(({ result_summary: _drop, ...rest }) => rest),
        total_count: ops.length,
        active_count: ops.filter((o) => o.status === 'pending' || o.status === 'running').length,
      };
      assertContract(OperationList, body, 'operation list');
      send(res, 200, body);
    });
    this.#route('GET', /^\/api\/v1\/operations\/([^/]+)$/, (r, res) => {
      const s = this.#script(r, res);
      if (!s) return;
      const op = s.cancelled ?? (s.states[Math.min(s.gets, s.states.length - 1)] as Operation);
      s.gets++;
      send(res, 200, { success: true, data: op });
    });
    this.#route('GET', /^\/api\/v1\/operations\/([^/]+)\/metrics$/, (r, res) => {
      const s = this.#script(r, res);
      if (!s) return;
      const all = s.metrics ?? [];
      const visible = s.metricsVisibleAt ? Math.min(all.length, s.metricsVisibleAt[Math.max(0, s.gets - 1)] ?? all.length) : all.length;
      const cursor = Number(r.query['cursor'] ?? 0);
      const metrics = all.slice(cursor, Math.max(cursor, visible));
      const body: MetricsResponse = { success: true, data: { operation_id: r.path.split('/')[4] as string, metrics, new_cursor: cursor + metrics.length } };
      assertContract(MetricsResponse, body, 'metrics');
      send(res, 200, body);
    });
    this.#route('GET', /^\/api\/v1\/operations\/([^/]+)\/results$/, (r, res) => {
      const s = this.#script(r, res);
      if (!s) return;
      const last = s.states[s.states.length - 1] as Operation;
      if (last.status !== 'completed') return send(res, 404, { detail: 'Results not available', code: 'RESULTS_NOT_AVAILABLE' });
      send(res, 200, { success: true, data: last.result_summary });
    });
    this.#route('DELETE', /^\/api\/v1\/operations\/([^/]+)\/cancel$/, (r, res) => {
      const s = this.#script(r, res);
      if (!s) return;
      const current = s.states[Math.min(s.gets, s.states.length - 1)] as Operation;
      const reason = (r.body as { reason?: string } | undefined)?.reason ?? null;
      s.cancelled = { ...current, status: 'cancelled' as OperationStatus, completed_at: '2025-01-01T12:05:00.000Z', error_message: reason };
      send(res, 200, { success: true, data: { operation_id: current.operation_id, status: 'cancelled', cancelled_at: s.cancelled.completed_at, reason } });
    });
  }

  /** Adds a scripted operation. */
  addOperation(states: Operation[], extra: Partial<Omit<ScriptedOperation, 'states' | 'gets'>> = {}): void {
    const id = (states[0] as Operation).operation_id;
    this.operations.set(id, { states, gets: 0, ...extra });
  }

  /** Requests to a path (exact) or matching a pattern. */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.url;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #route(method: string, pattern: RegExp, handler: Handler): void {
    this.#routes.push([method, pattern, handler]);
  }

  #script(r: RecordedRequest, res: ServerResponse): ScriptedOperation | undefined {
    const id = decodeURIComponent(r.path.split('/')[4] as string);
    const s = this.operations.get(id);
    if (!s) send(res, 404, { detail: `Operation '${id}' not found`, code: 'OPERATION_NOT_FOUND' });
    return s;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: text === '' ? undefined : JSON.parse(text),
    };
    this.requests.push(recorded);
    if (this.token !== undefined && url.pathname.startsWith('/api/') && req.headers.authorization !== `Bearer ${this.token}`) {
      return send(res, 401, { detail: 'Missing or invalid bearer token (set KTRDR_API_TOKEN)', code: 'UNAUTHORIZED' });
    }
    // Most specific first: '/operations/x/metrics' must not hit '/operations/x'.
    const match = this.#routes.find(([m, p]) => m === recorded.method && p.test(url.pathname));
    if (!match) return send(res, 404, { detail: `Route ${recorded.method}:${url.pathname} not found`, code: 'NOT_FOUND' });
    match[2](recorded, res);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
