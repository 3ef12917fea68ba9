/**
 * Job-thread side of ending a completed run (see RunFinish): push the final report from here and,
 * when the backend's reply hands over a job this thread can start, start it here. Between two
 * queued jobs this saves the HTTP thread's two hops (thread → HTTP thread → backend, and back),
 * each a wake-up of a sleeping thread. What this side cannot do, it leaves to the HTTP thread,
 * which then does exactly what it does without it.
 */
import type { MetricRecord, OperationReport, Progress } from '../contracts/index.js';
import { requestJson } from '../net/http-json.js';
import { buildValidatorCompiler } from '../server-kit/validator-compiler.js';
import { encodeReport } from './backend-reporter.js';
import type { JobDefinition, JobOutput, ThreadJobFn } from './job.js';
import type { HandOverTarget, NextJob, RunFinish } from './thread-messages.js';

type Validate = ((data: unknown) => boolean) & { errors?: unknown };

/** A start route as this thread keeps it: the key of its compiled validator (its schema's text). */
type KnownTarget = HandOverTarget & { schemaKey: string };

/** Each worker's start routes (a thread may serve several workers of one process, one after another). */
const targetsByWorker = new Map<string, Map<string, KnownTarget>>();
/** Compiled validators by schema text: workers of one type share them, and each is compiled once per thread. */
const validators = new Map<string, Validate>();
const compile = buildValidatorCompiler();

function validatorOf(target: KnownTarget): Validate {
  let v = validators.get(target.schemaKey);
  if (!v) {
    v = compile({ schema: target.schema as never, httpPart: 'body', method: 'POST', url: target.path }) as unknown as Validate;
    validators.set(target.schemaKey, v);
  }
  return v;
}

/** Job modules by URL: an import() of a loaded module still goes through the loader (tens of µs a run). */
const modules = new Map<string, Promise<{ run?: ThreadJobFn; definition?: JobDefinition }>>();

/** The job module at `href`, imported once per thread (a module that failed to load is tried again next time). */
export function loadJobModule(href: string): Promise<{ run?: ThreadJobFn; definition?: JobDefinition }> {
  let m = modules.get(href);
  if (!m) {
    m = import(href) as Promise<{ run?: ThreadJobFn; definition?: JobDefinition }>;
    modules.set(href, m);
    m.catch(() => modules.delete(href));
  }
  return m;
}

/**
 * Keeps the worker's targets when the run carries them (its first run on this thread) and compiles
 * their validators as soon as the thread is free (tens of ms each, which would otherwise land
 * between two queued jobs at the first hand-over), without delaying the run itself.
 */
export function rememberTargets(finish: RunFinish): void {
  if (!finish.targets) return;
  const targets = finish.targets.map((t) => ({ ...t, schemaKey: JSON.stringify(t.schema) }));
  targetsByWorker.set(finish.workerId, new Map(targets.map((t) => [t.path, t])));
  setImmediate(() => {
    for (const t of targets) validatorOf(t);
  });
}

export type OwnReport =
  /**
   * The backend took the report (or called the attempt stale). `next`: the job its reply handed
   * over (only to a worker that said it is idle); `prefetch`: a job given ahead, to hold.
   */
  | { answer: 'accepted' | 'stale'; next?: NextJob; prefetch?: NextJob }
  /** Not answered in a way this side handles (unreachable, 5xx, a backend without report frames): the HTTP thread pushes it, with retries. */
  | { answer: 'leave' };

/**
 * Pushes a completed run's final report once; anything but a clear answer is left to the HTTP
 * thread. `prefetched`: the job held ahead that this thread just started (its claim rides along;
 * the worker is busy with it, so it asks for no `next`).
 */
export async function pushOwnReport(
  operationId: string,
  finish: RunFinish,
  state: { progress: Progress; metrics: MetricRecord[]; output: JobOutput },
  prefetched?: NextJob,
): Promise<OwnReport> {
  const accepting = !prefetched && Atomics.load(new Int32Array(finish.accepting), 0) === 1;
  const report: OperationReport = {
    attempt_id: finish.attemptId,
    worker_id: finish.workerId,
    status: 'completed',
    progress: state.progress,
    error_message: null,
    result_summary: state.output.summary,
    metrics: state.metrics,
    ...(state.output.artifact === undefined ? {} : { artifact: state.output.artifact }),
    accepting_work: accepting,
    // This thread will run a job after this report (the one it started, or the one the reply hands over): it can hold one more.
    prefetch: accepting || prefetched !== undefined,
    ...(prefetched ? { prefetched: { operation_id: prefetched.operation_id, attempt_id: prefetched.attempt_id } } : {}),
  };
  const { contentType, body } = encodeReport(report);
  try {
    const res = await requestJson({
      method: 'POST',
      url: `${finish.apiUrl}/api/v1/operations/${encodeURIComponent(operationId)}/report`,
      headers: { ...finish.headers, 'content-type': contentType },
      body,
      timeoutMs: finish.timeoutMs,
    });
    if (res.status === 409 || res.status === 404) return { answer: 'stale' };
    if (res.status < 200 || res.status >= 300) return { answer: 'leave' };
    let reply: { next?: NextJob; prefetch?: NextJob } = {};
    try {
      reply = JSON.parse(res.text) as typeof reply;
    } catch {
      // a reply without a body is still an acknowledgement
    }
    return {
      answer: 'accepted',
      ...(accepting && reply.next ? { next: reply.next } : {}),
      ...(reply.prefetch ? { prefetch: reply.prefetch } : {}),
    };
  } catch {
    return { answer: 'leave' };
  }
}

/** A handed-over job this thread may start: its module and validated params, or undefined (the HTTP thread decides). */
export async function prepareHandOver(
  next: NextJob,
  finish: RunFinish,
  settings: Record<string, unknown>,
): Promise<{ module: string; operationId: string; params: Record<string, unknown>; finish: RunFinish } | undefined> {
  const target = targetsByWorker.get(finish.workerId)?.get(next.path);
  // An unknown path, an invalid body or a worker that stopped taking work: the HTTP thread reports why.
  if (!target || Atomics.load(new Int32Array(finish.accepting), 0) !== 1) return undefined;
  // A copy: the validator fills in defaults, and `next` (the backend's words) goes to the HTTP thread as it came.
  const body = structuredClone(next.body);
  if (!validatorOf(target)(body)) return undefined;
  const { task_id, attempt_id, ...params } = body as Record<string, unknown> & { task_id?: string; attempt_id?: string };
  if (task_id !== next.operation_id || attempt_id !== next.attempt_id) return undefined;
  if (target.hasValidate) {
    const def = (await loadJobModule(target.module)).definition;
    if (typeof def?.validate !== 'function') return undefined;
    try {
      await def.validate(params as never, settings);
    } catch {
      return undefined; // the HTTP thread runs the hook again and reports its error as it always did
    }
    if (Atomics.load(new Int32Array(finish.accepting), 0) !== 1) return undefined;
  }
  // The worker's first run on this thread carried its targets; later runs find them cached.
  const { targets: _sent, ...rest } = finish;
  return { module: target.module, operationId: task_id, params, finish: { ...rest, attemptId: attempt_id } };
}

