import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/cli/local-cluster.js';
import { repoRoot } from './paths.js';

export { freePort };

export const CLI = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
export const FIXTURE_WORKER = join(repoRoot, 'dist', 'test', 'fixtures', 'fixture-worker.js');
export const FIXTURE_BACKEND = join(repoRoot, 'dist', 'test', 'fixtures', 'fixture-backend.js');

/** Short timings so failure detection happens in seconds. */
export const FAST_ENV: Record<string, string> = {
  HEALTH_CHECK_INTERVAL_SECONDS: '0.2',
  HEALTH_CHECK_TIMEOUT_SECONDS: '0.5',
  HEALTH_CHECK_FAILURE_THRESHOLD: '2',
  WORKER_REMOVAL_THRESHOLD_SECONDS: '1.5',
  ORPHAN_TIMEOUT_SECONDS: '4',
  WORKER_REGISTRATION_CHECK_SECONDS: '0.3',
  WORKER_DRAIN_SECONDS: '3',
  LOG_LEVEL: 'warn',
};

export function tempDir(prefix = 'ktrdr-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface Proc {
  name: string;
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** SIGKILL, no cleanup: a crash. */
  crash(): Promise<void>;
  /** Sends SIGTERM once (a second SIGTERM means "exit now" to our processes). */
  terminate(): void;
  /** SIGTERM (once) and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

export function spawnNode(name: string, args: string[], env: Record<string, string>, port: number): Proc {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...FAST_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let terminated = false;
  const terminate = () => {
    if (terminated || child.exitCode !== null || child.signalCode !== null) return;
    terminated = true;
    child.kill('SIGTERM');
  };
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => out,
    async crash() {
      child.kill('SIGKILL');
      await exited(child);
    },
    terminate,
    async stop() {
      terminate();
      await exited(child);
      return child.exitCode;
    },
  };
}

/**
 * Where a test backend keeps its operations: SQLite at `dbPath`, or, when the suite runs under
 * KTRDR_DATABASE_URL (scripts/with-private-postgres.mjs), a PostgreSQL database of that server
 * named after `dbPath`: each test gets a fresh one, and a restart on the same dbPath finds its data.
 */
export function storeEnv(dbPath: string): Record<string, string> {
  const base = process.env['KTRDR_DATABASE_URL'];
  if (!base) return { KTRDR_DB_PATH: dbPath };
  const url = new URL(base);
  url.pathname = `/ktrdr_t_${createHash('sha256').update(dbPath).digest('hex').slice(0, 16)}`;
  return { KTRDR_DB_PATH: dbPath, KTRDR_DATABASE_URL: url.toString() };
}

export async function startBackend(opts: { dbPath: string; env?: Record<string, string>; port?: number; fixture?: boolean }): Promise<Proc> {
  const entry = opts.fixture ? [FIXTURE_BACKEND] : [CLI, 'backend'];
  for (let tries = 1; ; tries++) {
    const port = opts.port ?? (await freePort());
    const proc = spawnNode('backend', [...entry, '--port', String(port), '--host', '127.0.0.1'], { ...storeEnv(opts.dbPath), ...opts.env }, port);
    try {
      await waitFor(`backend on ${port}`, async () => (await fetch(`${proc.url}/health`)).ok || undefined, { timeoutMs: 15_000, proc });
    } catch (err) {
      // A backend that did not come up must not outlive the test (its handles would hold the runner).
      await proc.crash();
      throw err;
    }
    // Between freePort() and listen, a test running alongside may take the port: then /health is
    // someone else's answer and our child dies of EADDRINUSE. Only a port our child holds will do.
    const owner = await listenerPid(port, proc);
    if (owner === undefined || owner === proc.child.pid || tries >= 3 || opts.port !== undefined) return proc;
    await proc.crash();
  }
}

/**
 * The pid listening on a loopback port (`ss -ltnp`, Linux), once our child either holds it or exited;
 * undefined when ss can't tell (then the caller trusts /health).
 */
async function listenerPid(port: number, proc: Proc): Promise<number | undefined> {
  for (let i = 0; i < 100; i++) {
    const r = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
    if (r.status !== 0 || r.error) return undefined;
    const pids = [...r.stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    if (pids.includes(proc.child.pid!)) return proc.child.pid;
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) return pids[0] ?? -1;
    if (pids.length === 0) return undefined;
    await new Promise((res) => setTimeout(res, 20));
  }
  return undefined;
}

/** The backend as `ktrdr backend` runs it, except that backtests accept the fixture job's knobs. */
export function startFixtureBackend(opts: { dbPath: string; env?: Record<string, string>; port?: number }): Promise<Proc> {
  return startBackend({ ...opts, fixture: true });
}

/**
 * Starts a worker process on a free port and waits until its /health names it. Between freePort()
 * and listen, a test running alongside may take the port: then our child exits with EADDRINUSE
 * (and the port answers with someone else's id), and another port is tried. A worker that exits
 * for another reason is returned as is, for the test to look at.
 */
async function startWorkerProc(workerId: string, spawnAt: (port: number) => Proc, fixedPort?: string): Promise<Proc> {
  for (let tries = 1; ; tries++) {
    // A test that chose the port itself (e.g. behind a proxy) gets exactly that one.
    const proc = spawnAt(fixedPort !== undefined ? Number(fixedPort) : await freePort());
    let state: 'ours' | 'exited';
    try {
      state = await waitFor(`${workerId} listening on ${proc.port}`, async () => {
        if (proc.child.exitCode !== null || proc.child.signalCode !== null) return 'exited' as const;
        try {
          const res = await fetch(`${proc.url}/health`);
          await res.body?.cancel();
          return res.headers.get('x-ktrdr-worker-id') === workerId ? ('ours' as const) : undefined;
        } catch {
          return undefined;
        }
      }, { timeoutMs: 15_000, intervalMs: 25 });
    } catch (err) {
      // Never leave a child behind: its handles would hold the test runner.
      await proc.crash();
      throw new Error(`${(err as Error).message}\n${proc.output().slice(-2000)}`);
    }
    if (state === 'ours' || tries >= 3 || fixedPort !== undefined || !proc.output().includes('EADDRINUSE')) return proc;
    await proc.crash();
  }
}

export function startFixtureWorker(apiUrl: string, workerId: string, env: Record<string, string> = {}): Promise<Proc> {
  const id = env['WORKER_ID'] ?? workerId;
  return startWorkerProc(id, (port) =>
    spawnNode(workerId, [FIXTURE_WORKER], { KTRDR_API_URL: apiUrl, WORKER_PORT: String(port), WORKER_ID: workerId, ...env }, port),
    env['WORKER_PORT'],
  );
}

export function startRealWorker(apiUrl: string, type: string, workerId: string, env: Record<string, string> = {}): Promise<Proc> {
  const id = env['WORKER_ID'] ?? workerId;
  return startWorkerProc(id, (port) =>
    spawnNode(
      workerId,
      [CLI, 'worker', type, '--port', String(port)],
      { KTRDR_API_URL: apiUrl, WORKER_ID: workerId, WORKER_HOST: '127.0.0.1', WORKER_ENDPOINT_URL: `http://127.0.0.1:${port}`, ...env },
      port,
    ),
  );
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number; proc?: Proc } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let lastError: unknown;
  for (;;) {
    if (opts.proc && opts.proc.child.exitCode !== null) {
      throw new Error(`${what}: ${opts.proc.name} exited (${opts.proc.child.exitCode}):\n${opts.proc.output().slice(-2000)}`);
    }
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

export interface ApiReply<T = any> {
  status: number;
  body: T;
}

export async function api<T = any>(base: string, path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<ApiReply<T>> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers['authorization'] = `Bearer ${init.token}`;
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? null : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** A valid backtest request for the shipped data and rules strategy, plus fixture knobs. */
export function backtestBody(fixture: Record<string, unknown> = {}): Record<string, unknown> {
  return { strategy_name: 'rsi_reversion_rules', start_date: '2024-01-01', end_date: '2024-03-01', fixture };
}

export async function waitForWorkers(base: string, count: number, opts: { token?: string; status?: string; timeoutMs?: number } = {}) {
  return waitFor(
    `${count} workers${opts.status ? ` ${opts.status}` : ''}`,
    async () => {
      const r = await api<any[]>(base, `/api/v1/workers${opts.status ? `?status=${opts.status}` : ''}`, { token: opts.token });
      return r.body.length === count ? r.body : undefined;
    },
    { timeoutMs: opts.timeoutMs ?? 15_000 },
  );
}

export async function waitForStatus(base: string, operationId: string, statuses: string[], timeoutMs = 15_000, token?: string) {
  return waitFor(
    `operation ${operationId} to be ${statuses.join('|')}`,
    async () => {
      const r = await api(base, `/api/v1/operations/${operationId}?force_refresh=true`, { token });
      return statuses.includes(r.body?.data?.status) ? r.body.data : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}
