/**
 * The control plane with the backend and the workers as separate processes, side by side with
 * BullMQ on a local redis-server, both running the same jobs on the same number of single-slot workers.
 *
 * 1. Queue drain: `jobs` rules-backtest submissions are queued while no worker is registered, then a
 *    process with `workers` real worker-kit workers starts and runs them all. Each job sleeps
 *    `sleepMs` and records when its code started and ended (epoch ms, sub-ms, shared by all processes).
 *    - throughput vs ideal = (Σ job time / workers) ÷ (last job end − first job start); 1.0 is a
 *      queue that costs nothing.
 *    - queue overhead per op = on one worker, next job's code start − previous job's code end
 *      (everything between two jobs: final report, dispatch, attempt claim, thread start).
 * 2. Idle start: `idle` submissions one at a time to idle workers: submit → acknowledged (`started`),
 *    submit → job code starts, and (ktrdr) worker accepted → job code starts.
 * 3. Cached status polls of a running op, driven by autocannon in its own process.
 * BullMQ runs the same 1 and 2 with `Queue.add` as the submit and its processor as the job code.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/cli/local-cluster.js';
import { nowMs, pct, sortedCopy } from './clock.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** Printed instead of the value (a skipped part and why). */
  note?: string;
}

export interface ClusterBenchOptions {
  /** @defaultValue 1000 */
  jobs?: number;
  /** @defaultValue 4 */
  workers?: number;
  /** How long each job's code runs. @defaultValue 25 */
  sleepMs?: number;
  /** Sequential submissions to idle workers. @defaultValue 100 */
  idle?: number;
  /** autocannon run length. @defaultValue 5 */
  pollSeconds?: number;
}

/** One job as its code saw it: when it started and ended, on which worker, and when it was submitted. */
interface JobTimes {
  worker: string;
  tStart: number;
  tEnd: number;
}

interface DrainStats {
  windowMs: number;
  idealMs: number;
  ratio: number;
  jobsPerS: number;
  gaps: number[];
}

const BACKTEST = { strategy_name: 'rsi_reversion_rules', start_date: '2024-01-01', end_date: '2024-02-01' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function drainStats(jobs: readonly JobTimes[], workers: number): DrainStats {
  const first = Math.min(...jobs.map((j) => j.tStart));
  const last = Math.max(...jobs.map((j) => j.tEnd));
  const busy = jobs.reduce((s, j) => s + (j.tEnd - j.tStart), 0);
  const byWorker = new Map<string, JobTimes[]>();
  for (const j of jobs) byWorker.set(j.worker, [...(byWorker.get(j.worker) ?? []), j]);
  const gaps: number[] = [];
  for (const list of byWorker.values()) {
    list.sort((a, b) => a.tStart - b.tStart);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const next = list[i]!;
      gaps.push(next.tStart - prev.tEnd);
    }
  }
  const windowMs = last - first;
  const idealMs = busy / workers;
  return { windowMs, idealMs, ratio: idealMs / windowMs, jobsPerS: jobs.length / (windowMs / 1000), gaps: sortedCopy(gaps) };
}

/** Forks a bench process and resolves with it and its first IPC message. */
async function forkProc<M>(script: string, args: string[]): Promise<{ child: ChildProcess; first: M }> {
  // BENCH_CPU_PROF=<dir>: each bench process writes a V8 CPU profile there (open in Chrome DevTools).
  const prof = process.env['BENCH_CPU_PROF'];
  const execArgv = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  const child = fork(new URL(script, import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  const first = await new Promise<M>((resolve, reject) => {
    child.once('message', (m) => resolve(m as M));
    child.once('exit', (code) => reject(new Error(`${script} exited with code ${code} before it was ready`)));
    child.once('error', reject);
  });
  return { child, first };
}

async function stopProc(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.send({ cmd: 'stop' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function request<T>(child: ChildProcess, cmd: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send({ cmd });
  });
}

async function json(url: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const res = await fetch(url, init);
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

const postJson = (url: string, body: unknown) =>
  json(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Runs `fn` over `items` with at most `n` in flight. */
async function pool<T>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

interface IdleSample {
  ackMs: number;
  startMs: number;
  acceptToStartMs?: number;
}

interface SideResult {
  drain: DrainStats;
  submitAck: number[];
  idle: IdleSample[];
}

async function runKtrdr(o: Required<ClusterBenchOptions>, results: BenchResult[]): Promise<SideResult> {
  // Poll results are appended by the caller after the side-by-side rows.
  const { child: backendProc, first } = await forkProc<{ url: string }>('./procs/backend-proc.js', []);
  const api = `${first.url}/api/v1`;
  let workersProc: ChildProcess | undefined;
  try {
    // 1. Queue drain: everything is submitted before any worker exists, so all of it is queued.
    const ids: string[] = new Array<string>(o.jobs);
    const submitAck: number[] = [];
    await pool(ids, 4, async (_, i) => {
      const t0 = nowMs();
      const r = await postJson(`${api}/backtests/start`, { ...BACKTEST, fixture: { sleep_ms: o.sleepMs } });
      submitAck.push(nowMs() - t0);
      if (r['status'] !== 'queued') throw new Error(`submission ${i} is ${String(r['status'])}, expected queued`);
      ids[i] = r['operation_id'] as string;
    });
    const count = async (status: string) => (await json(`${api}/operations?status=${status}&limit=1`))['total_count'] as number;
    const started = await forkProc<{ ready: boolean }>('./procs/workers-proc.js', [first.url, String(o.workers)]);
    workersProc = started.child;
    await waitFor(
      `${o.jobs} operations to complete`,
      async () => {
        const failed = await count('failed');
        if (failed > 0) throw new Error(`${failed} bench operations failed`);
        return (await count('completed')) === o.jobs;
      },
      10 * 60_000,
      250,
    );
    const jobs: JobTimes[] = [];
    await pool(ids, 8, async (id) => {
      const op = (await json(`${api}/operations/${id}`))['data'] as { worker_id: string; result_summary: { t_start: number; t_end: number } };
      jobs.push({ worker: op.worker_id, tStart: op.result_summary.t_start, tEnd: op.result_summary.t_end });
    });
    const drain = drainStats(jobs, o.workers);

    // 2. Idle start: one submission at a time, each to an idle worker.
    const idleIds: { id: string; t0: number; ackMs: number }[] = [];
    let endedBeforeAck = 0;
    for (let i = 0; i < o.idle; i++) {
      const t0 = nowMs();
      const res = await fetch(`${api}/backtests/start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...BACKTEST, fixture: { sleep_ms: 0 } }),
      });
      const r = (await res.json()) as Record<string, unknown>;
      const ackMs = nowMs() - t0;
      let id: string | undefined;
      if (res.ok && r['status'] === 'started') id = r['operation_id'] as string;
      else if (res.status === 409 && r['code'] === 'OPERATION_ENDED') {
        // The job ran and its final report reached the backend before the worker's start reply did;
        // the backend then answers 409 although the operation completed. Counted and printed.
        endedBeforeAck++;
        id = /'([^']+)'/.exec(String(r['detail']))?.[1];
      }
      if (id === undefined) throw new Error(`idle submission ${i}: ${res.status} ${JSON.stringify(r)}`);
      idleIds.push({ id, t0, ackMs });
      await waitFor(`idle op ${id}`, async () => ((await json(`${api}/operations/${id}?force_refresh=true`))['data'] as { status: string }).status === 'completed', 30_000, 2);
    }
    const { acceptedAt } = await request<{ acceptedAt: Record<string, number> }>(workersProc, 'report');
    const idle: IdleSample[] = [];
    for (const { id, t0, ackMs } of idleIds) {
      const op = (await json(`${api}/operations/${id}`))['data'] as { result_summary: { t_start: number } };
      const tStart = op.result_summary.t_start;
      idle.push({ ackMs, startMs: tStart - t0, acceptToStartMs: tStart - acceptedAt[id]! });
    }

    // 3. Cached status polls of a running op, from a load generator in its own process.
    const long = await postJson(`${api}/backtests/start`, { ...BACKTEST, fixture: { sleep_ms: 120_000 } });
    const pollUrl = `${api}/operations/${long['operation_id'] as string}`;
    await json(pollUrl); // fills the cache
    const polls = await autocannon(pollUrl, 16, o.pollSeconds);
    if (polls) {
      results.push({ name: `ktrdr: cached status polls (autocannon, 16 conns, ${o.pollSeconds} s)`, value: polls.rps, unit: 'req/s' });
      results.push({ name: 'ktrdr: cached status poll latency p50', value: polls.p50, unit: 'ms' });
      results.push({ name: 'ktrdr: cached status poll latency p99', value: polls.p99, unit: 'ms' });
      results.push({ name: 'ktrdr: poll responses not 2xx', value: polls.non2xx, unit: 'responses' });
    } else {
      results.push({ name: 'ktrdr: cached status polls', value: Number.NaN, unit: '', note: 'skipped: autocannon is not installed (npm install)' });
    }
    await fetch(`${pollUrl}/cancel`, { method: 'DELETE' });
    results.push({
      name: `ktrdr: idle submissions answered 409 OPERATION_ENDED although the job completed (of ${o.idle})`,
      value: endedBeforeAck,
      unit: 'submissions',
    });
    return { drain, submitAck: sortedCopy(submitAck), idle };
  } finally {
    if (workersProc) await stopProc(workersProc);
    await stopProc(backendProc);
  }
}

/** autocannon in a child process; undefined when it is not installed. Latencies in ms. */
async function autocannon(url: string, connections: number, seconds: number) {
  let bin: string;
  try {
    bin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  } catch {
    return undefined;
  }
  const child = spawn(process.execPath, [bin, '-j', '-c', String(connections), '-d', String(seconds), url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`autocannon exited with ${code}: ${err}`);
  const r = JSON.parse(out) as { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number };
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx + r.errors };
}

/** A redis-server of its own on a free loopback port, in a temp dir, no persistence. */
async function startRedis(): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code === 'ENOENT' ? 'redis-server not found (apt-get install redis-server)' : e.message)));
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}: ${out.slice(-300)}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
  });
  child.removeAllListeners('exit');
  return {
    port,
    async stop() {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function runBullmq(o: Required<ClusterBenchOptions>): Promise<SideResult> {
  const bullmq = await import('bullmq');
  const redis = await startRedis();
  const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };
  const name = 'bench';
  const queue = new bullmq.Queue(name, { connection });
  const events = new bullmq.QueueEvents(name, { connection });
  let workersProc: ChildProcess | undefined;
  try {
    await events.waitUntilReady();
    const submitAck: number[] = [];
    await pool(Array.from({ length: o.jobs }), 4, async () => {
      const t0 = nowMs();
      await queue.add('job', { sleep_ms: o.sleepMs });
      submitAck.push(nowMs() - t0);
    });
    workersProc = (await forkProc<{ ready: boolean }>('./procs/bullmq-workers-proc.js', [String(redis.port), String(o.workers), name])).child;
    await waitFor(
      `${o.jobs} BullMQ jobs to complete`,
      async () => {
        const c = await queue.getJobCounts('completed', 'failed');
        if ((c['failed'] ?? 0) > 0) throw new Error(`${c['failed']} BullMQ jobs failed`);
        return c['completed'] === o.jobs;
      },
      10 * 60_000,
      250,
    );
    const done = await queue.getJobs(['completed'], 0, -1);
    const jobs = done.map((j) => {
      const r = j.returnvalue as { t_start: number; t_end: number; worker: number };
      return { worker: String(r.worker), tStart: r.t_start, tEnd: r.t_end };
    });
    const drain = drainStats(jobs, o.workers);
    const idle: IdleSample[] = [];
    for (let i = 0; i < o.idle; i++) {
      const t0 = nowMs();
      const job = await queue.add('job', { sleep_ms: 0 });
      const ackMs = nowMs() - t0;
      const r = (await job.waitUntilFinished(events, 30_000)) as { t_start: number };
      idle.push({ ackMs, startMs: r.t_start - t0 });
    }
    return { drain, submitAck: sortedCopy(submitAck), idle };
  } finally {
    if (workersProc) await stopProc(workersProc);
    await events.close();
    await queue.close();
    await redis.stop();
  }
}

export async function benchCluster(options: ClusterBenchOptions = {}): Promise<BenchResult[]> {
  const o: Required<ClusterBenchOptions> = { jobs: 1000, workers: 4, sleepMs: 25, idle: 100, pollSeconds: 5, ...options };
  const results: BenchResult[] = [];
  const pollResults: BenchResult[] = [];
  const k = await runKtrdr(o, pollResults);
  let b: SideResult | undefined;
  let skipped: string | undefined;
  try {
    b = await runBullmq(o);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    skipped = e.code === 'ERR_MODULE_NOT_FOUND' ? 'bullmq is not installed (npm install)' : e.message;
  }

  const label = `${o.jobs} jobs of ${o.sleepMs} ms on ${o.workers} workers`;
  const row = (name: string, unit: string, kv: number, bv: number | undefined) => {
    results.push({ name: `ktrdr: ${name}`, value: kv, unit });
    if (bv !== undefined) {
      results.push({ name: `BullMQ: ${name}`, value: bv, unit });
      results.push({ name: `  ratio ktrdr / BullMQ`, value: kv / bv, unit: '×' });
    }
  };
  const idleSorted = (s: SideResult | undefined, f: (x: IdleSample) => number) => (s ? sortedCopy(s.idle.map(f)) : undefined);
  row(`throughput vs ideal (${label}; target ≥ 0.9)`, 'of ideal', k.drain.ratio, b?.drain.ratio);
  row('jobs completed per second (first start → last end)', 'jobs/s', k.drain.jobsPerS, b?.drain.jobsPerS);
  results.push({ name: 'ktrdr: first job start → last job end', value: k.drain.windowMs, unit: 'ms' });
  results.push({ name: 'ktrdr: ideal (Σ job time / workers)', value: k.drain.idealMs, unit: 'ms' });
  row('queue overhead per op p50 (prev job end → next job start, same worker; target < 2)', 'ms', pct(k.drain.gaps, 50), b && pct(b.drain.gaps, 50));
  row('queue overhead per op p99 (same)', 'ms', pct(k.drain.gaps, 99), b && pct(b.drain.gaps, 99));
  const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  row('queue overhead per op mean (what the throughput pays)', 'ms', mean(k.drain.gaps), b && mean(b.drain.gaps));
  row('submit acknowledged p50 (queued, 4 clients; POST /backtests/start vs Queue.add)', 'ms', pct(k.submitAck, 50), b && pct(b.submitAck, 50));
  const kAck = idleSorted(k, (x) => x.ackMs)!;
  const kStart = idleSorted(k, (x) => x.startMs)!;
  row(`idle worker: submit → started p50 (ktrdr: 'started' ack; BullMQ: add() ack), ${o.idle} runs`, 'ms', pct(kAck, 50), b && pct(idleSorted(b, (x) => x.ackMs)!, 50));
  row('idle worker: submit → job code starts p50 (a rules backtest submit → running; target ≤ 5)', 'ms', pct(kStart, 50), b && pct(idleSorted(b, (x) => x.startMs)!, 50));
  row('idle worker: submit → job code starts p99', 'ms', pct(kStart, 99), b && pct(idleSorted(b, (x) => x.startMs)!, 99));
  const accept = idleSorted(k, (x) => x.acceptToStartMs ?? Number.NaN)!;
  results.push({ name: 'ktrdr: worker accepted → job code starts p50 (target ≤ 5)', value: pct(accept, 50), unit: 'ms' });
  results.push({ name: 'ktrdr: worker accepted → job code starts p99', value: pct(accept, 99), unit: 'ms' });
  if (skipped) results.push({ name: 'BullMQ side by side', value: Number.NaN, unit: '', note: `skipped: ${skipped}` });
  return [...results, ...pollResults];
}
