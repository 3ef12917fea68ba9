import type { Logger } from 'pino';
import { encodeReportFrame, REPORT_FRAME_MEDIA_TYPE, type OperationReport } from '../contracts/index.js';
import { toError } from '../contracts/errors.js';
import { requestJson } from '../net/http-json.js';
import { artifactToWire, hasBytes, mediaTypeOf } from './artifact-wire.js';
import type { NextJob } from './thread-messages.js';

export type { NextJob };

export interface BackendReporterDeps {
  log: Logger;
  now?: () => number;
}

export interface BackendReporterOptions {
  apiUrl: string;
  apiToken?: string | undefined;
  /** Timeout of one report request. @defaultValue 5000 */
  requestTimeoutMs?: number;
  /** How long a claim may keep retrying an unreachable backend. @defaultValue 3000 */
  claimBudgetMs?: number;
  /** How long a final report keeps retrying before it is left to the backend's polling. @defaultValue 600000 */
  finalReportBudgetMs?: number;
  /** First retry delay; doubles (with jitter) up to maxBackoffMs. @defaultValue 200 */
  initialBackoffMs?: number;
  /** @defaultValue 10000 */
  maxBackoffMs?: number;
}

/** What the backend said about a report. */
export type ReportAnswer = 'accepted' | 'stale' | 'unreachable';

/**
 * The worker's side of `POST /api/v1/operations/{id}/report`: the claim of an attempt before any
 * job code runs (so an attempt the backend gave up on never starts), and the final state pushed
 * when a job ends, retried until the backend acknowledges it (polling stays as the fallback).
 */
export class BackendReporter {
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #opts: Required<Omit<BackendReporterOptions, 'apiToken'>> & { apiToken: string | undefined };
  readonly #abort = new AbortController();
  readonly #pending = new Set<Promise<ReportAnswer>>();

  constructor(deps: BackendReporterDeps, options: BackendReporterOptions) {
    this.#log = deps.log.child({ component: 'reporter' });
    this.#now = deps.now ?? Date.now;
    this.#opts = {
      requestTimeoutMs: 5_000,
      claimBudgetMs: 3_000,
      finalReportBudgetMs: 600_000,
      initialBackoffMs: 200,
      maxBackoffMs: 10_000,
      ...options,
      apiToken: options.apiToken,
    };
  }

  /** Asks the backend whether this attempt may run. Stale: it must not. Unreachable: nobody answered in time. */
  claim(operationId: string, report: OperationReport): Promise<ReportAnswer> {
    return this.#send(operationId, report, this.#opts.claimBudgetMs);
  }

  /**
   * Pushes a final state, retrying until acknowledged (or the budget or the reporter ends). The
   * backend's reply may hand over the next queued job (`next`) when the report says so.
   */
  async pushFinal(operationId: string, report: OperationReport): Promise<{ answer: ReportAnswer; next?: NextJob }> {
    let reply: unknown;
    const p = this.#send(operationId, report, this.#opts.finalReportBudgetMs, (body) => {
      reply = body;
    });
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
    const answer = await p;
    const next = (reply as { next?: NextJob } | undefined)?.next;
    return answer === 'accepted' && next ? { answer, next } : { answer };
  }

  /** Stops retrying; reports in flight end as `unreachable`. */
  close(): void {
    this.#abort.abort();
  }

  async #send(operationId: string, report: OperationReport, budgetMs: number, onReply?: (body: unknown) => void): Promise<ReportAnswer> {
    const deadline = this.#now() + budgetMs;
    const headers: Record<string, string> = {};
    if (this.#opts.apiToken) headers['authorization'] = `Bearer ${this.#opts.apiToken}`;
    // An artifact with bytes (a backtest's equity curve) goes as a report frame: JSON + raw bytes,
    // no base64 and no JSON pass over them. A backend that does not know the frame (415) gets JSON.
    let isFrame = hasBytes(report.artifact);
    let body: string | Uint8Array = '';
    const encode = () => {
      const e = encodeReport(report, isFrame);
      headers['content-type'] = e.contentType;
      body = e.body;
    };
    encode();
    let delay = this.#opts.initialBackoffMs;
    for (let attempt = 1; !this.#abort.signal.aborted; attempt++) {
      try {
        const res = await requestJson({
          method: 'POST',
          url: `${this.#opts.apiUrl}/api/v1/operations/${encodeURIComponent(operationId)}/report`,
          headers,
          body,
          timeoutMs: this.#opts.requestTimeoutMs,
          signal: this.#abort.signal,
        });
        const text = res.text;
        if (res.status >= 200 && res.status < 300) {
          if (onReply) {
            try {
              onReply(JSON.parse(text));
            } catch {
              // a reply without a body is still an acknowledgement
            }
          }
          return 'accepted';
        }
        if (res.status === 415 && isFrame) {
          isFrame = false;
          encode();
          continue;
        }
        if (res.status === 409 || res.status === 404) {
          this.#log.warn({ operationId, status: res.status, detail: text.slice(0, 300) }, 'backend refused the report: attempt is stale');
          return 'stale';
        }
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
          this.#log.error({ operationId, status: res.status, detail: text.slice(0, 300) }, 'backend rejected the report');
          return 'stale';
        }
      } catch (err) {
        if (this.#abort.signal.aborted) break;
        this.#log.debug({ operationId, attempt, err: toError(err).message }, 'report failed; retrying');
      }
      const remaining = deadline - this.#now();
      if (remaining <= 0) break;
      // Jitter keeps many workers from retrying in lockstep after a backend restart.
      const wait = Math.min(remaining, delay * (0.5 + Math.random()));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        this.#abort.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
      delay = Math.min(delay * 2, this.#opts.maxBackoffMs);
    }
    this.#log.warn({ operationId, status: report.status }, 'backend did not acknowledge the report; it will read the state by polling');
    return 'unreachable';
  }
}

/**
 * A report as it goes on the wire: a report frame (JSON + the artifact's raw bytes) when `asFrame`,
 * else JSON with the bytes as base64. The job thread that pushes its own final report uses it too.
 */
export function encodeReport(report: OperationReport, asFrame = hasBytes(report.artifact)): { contentType: string; body: string | Uint8Array } {
  return asFrame
    ? { contentType: REPORT_FRAME_MEDIA_TYPE, body: encodeReportFrame(report as unknown as Record<string, unknown>, mediaTypeOf) }
    : {
        contentType: 'application/json',
        body: JSON.stringify(report.artifact === undefined ? report : { ...report, artifact: artifactToWire(report.artifact) }),
      };
}
