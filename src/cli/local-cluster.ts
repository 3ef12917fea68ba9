import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { isLoopbackHost, loadBackendConfig } from '../config/env.js';
import { portInUseMessage } from './port-in-use.js';

export interface LocalClusterOptions {
  backtestWorkers: number;
  trainingWorkers: number;
  /** Training workers that declare a GPU (WORKER_GPU=true); counted inside trainingWorkers. */
  gpuTrainingWorkers?: number;
  port: number;
  /**
   * Address the backend and the workers bind and advertise (a LAN address for a demo that other
   * machines join). Anything but loopback needs KTRDR_API_TOKEN or {@link insecure}, as for
   * `ktrdr backend`. `0.0.0.0`/`::` bind every interface and advertise 127.0.0.1.
   * @defaultValue 127.0.0.1
   */
  host?: string;
  /** Allow a non-loopback {@link host} without a token (KTRDR_INSECURE for every child). @defaultValue false */
  insecure?: boolean;
  /** Where child logs go. @defaultValue .ktrdr/logs */
  logDir?: string;
  /** Extra environment for every child (e.g. KTRDR_DB_PATH, KTRDR_MODELS_DIR). */
  env?: Record<string, string>;
  /** Give up waiting for registration after this long. @defaultValue 60000 */
  startTimeoutMs?: number;
  /** Start a worker again when it crashes (exits non-zero or is killed) after start-up. @defaultValue false */
  restartWorkers?: boolean;
  /** Where a line goes when a child exits or is restarted (`ktrdr up` prints it). @defaultValue nowhere */
  onEvent?: (line: string) => void;
}

export interface ClusterProcess {
  name: string;
  kind: 'backend' | 'backtesting' | 'training';
  url: string;
  /** The current child's pid (a restarted worker gets a new one). */
  pid: number;
  logFile: string;
  child: ChildProcess;
  /** Times this worker was started again after a crash. */
  restarts: number;
}

export interface LocalCluster {
  apiUrl: string;
  processes: ClusterProcess[];
  /** SIGTERM to every child (workers drain), SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** Resolves when the backend exits on its own (not through {@link stop}): the cluster is useless then. */
  backendExited: Promise<void>;
}

/**
 * Health timings for a cluster on one machine: a killed worker is marked unavailable in ~4 s and
 * its operation failed within seconds, not after the 5-minute production removal threshold.
 * A variable set in the environment wins.
 */
export const LOCAL_HEALTH_ENV: Readonly<Record<string, string>> = {
  HEALTH_CHECK_INTERVAL_SECONDS: '2',
  HEALTH_CHECK_TIMEOUT_SECONDS: '2',
  HEALTH_CHECK_FAILURE_THRESHOLD: '2',
  WORKER_REMOVAL_THRESHOLD_SECONDS: '10',
  ORPHAN_TIMEOUT_SECONDS: '15',
  WORKER_REGISTRATION_CHECK_SECONDS: '2',
  WORKER_HEALTH_SILENCE_SECONDS: '8',
};

/** A crash loop stops being restarted: this many crashes within {@link CRASH_WINDOW_MS}. */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;
const RESTART_DELAY_MS = 1_000;

const CLI = new URL('./main.js', import.meta.url);

/** A free TCP port on `host` (the OS picks it; a tiny race before the child binds is accepted). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

function portInUse(port: number, host: string): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(true));
    srv.listen(port, host, () => srv.close(() => res(false)));
  });
}

/** `0.0.0.0` and `::` bind every interface; a URL cannot name them. */
function isWildcard(host: string): boolean {
  return ['0.0.0.0', '::', '[::]'].includes(host);
}

/** The host part of a URL that reaches a server bound to `host`. */
function urlHost(host: string): string {
  if (isWildcard(host)) return '127.0.0.1';
  const bare = host.replace(/^\[|\]$/g, '');
  return bare.includes(':') ? `[${bare}]` : bare;
}

/** The last `n` non-empty lines of a log file, indented, or '' when it cannot be read. */
export function logTail(path: string, n = 8): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return '';
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '').slice(-n);
  return lines.map((l) => `    ${l.length > 300 ? `${l.slice(0, 299)}…` : l}`).join('\n');
}

/** `code 1` or `signal SIGKILL`. */
function describeExit(child: ChildProcess): string {
  return child.signalCode !== null ? `signal ${child.signalCode}` : `code ${child.exitCode}`;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** A child that died while the cluster was starting: names it, its log and the log's last lines. */
function startupCrash(p: ClusterProcess): Error {
  const tail = logTail(p.logFile);
  return new Error(
    `${p.name} exited with ${describeExit(p.child)} during start-up; its log is ${p.logFile}${tail ? `, which ends with:\n${tail}` : ''}`,
  );
}

/**
 * Polls `fn` until it returns a value. Fails at once, naming the child and its log, when any of
 * `children` exits meanwhile; else with "timed out" after `timeoutMs`.
 */
async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, children: readonly ClusterProcess[]): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = children.find((p) => hasExited(p.child));
    if (dead) throw startupCrash(dead);
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; the logs are in ${dirname(children[0]?.logFile ?? '.')}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return hasExited(child) ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** Starts a backend and workers as child processes on one address and waits until all workers are registered. */
export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  const logDir = resolve(opts.logDir ?? join('.ktrdr', 'logs'));
  mkdirSync(logDir, { recursive: true });
  const timeout = opts.startTimeoutMs ?? 60_000;
  const emit = opts.onEvent ?? (() => undefined);
  const host = (opts.host ?? '127.0.0.1').replace(/^\[|\]$/g, '');
  const localTimings = Object.fromEntries(Object.entries(LOCAL_HEALTH_ENV).map(([k, v]) => [k, process.env[k] ?? v]));
  const baseEnv: Record<string, string | undefined> = {
    ...process.env,
    ...localTimings,
    ...opts.env,
    ...(opts.insecure === true ? { KTRDR_INSECURE: 'true' } : {}),
  };
  // The backend's own rules (token or --insecure beyond loopback) and message, before starting anything.
  loadBackendConfig(baseEnv, { host, port: opts.port });
  if (await portInUse(opts.port, host)) {
    throw new Error(portInUseMessage(opts.port, 'backend'));
  }
  const apiUrl = `http://${urlHost(host)}:${opts.port}`;
  const processes: ClusterProcess[] = [];
  const logs = new Map<string, WriteStream>();
  let stopping = false;
  let started = false;
  let onBackendExit: () => void = () => undefined;
  const backendExited = new Promise<void>((r) => (onBackendExit = r));

  const spawnChild = (p: Omit<ClusterProcess, 'child' | 'pid'>, args: string[], env: Record<string, string>): ChildProcess => {
    let out = logs.get(p.name);
    if (out === undefined) {
      out = createWriteStream(p.logFile, { flags: 'w' });
      logs.set(p.name, out);
    }
    const child = spawn(process.execPath, [CLI.pathname, ...args], { env: { ...baseEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    return child;
  };

  const crashTimes = new Map<string, number[]>();
  const watch = (p: ClusterProcess, args: string[], env: Record<string, string>) => {
    p.child.once('exit', () => {
      if (stopping) return;
      if (!started) return; // waitFor reports it, with the log
      const how = describeExit(p.child);
      if (p.kind === 'backend') {
        emit(`backend exited with ${how}; see ${p.logFile}. The workers cannot reach it: stopping the cluster.`);
        onBackendExit();
        return;
      }
      const crashed = p.child.exitCode !== 0;
      if (!crashed || opts.restartWorkers !== true) {
        emit(`${p.name} exited with ${how}; see ${p.logFile}${crashed ? ' (not restarted: --no-restart-workers)' : ''}`);
        return;
      }
      const now = Date.now();
      const recent = [...(crashTimes.get(p.name) ?? []), now].filter((t) => now - t < CRASH_WINDOW_MS);
      crashTimes.set(p.name, recent);
      if (recent.length >= MAX_CRASHES) {
        emit(`${p.name} exited with ${how}, ${recent.length} crashes within a minute: not restarting it; see ${p.logFile}`);
        return;
      }
      emit(`${p.name} exited with ${how}; restarting it (log ${p.logFile})`);
      setTimeout(() => {
        if (stopping) return;
        logs.get(p.name)?.write(`\n----- ktrdr up: restarting ${p.name} after it exited with ${how} -----\n`);
        p.child = spawnChild(p, args, env);
        p.pid = p.child.pid ?? -1;
        p.restarts++;
        emit(`${p.name} restarted, pid ${p.pid}`);
        watch(p, args, env);
      }, RESTART_DELAY_MS).unref();
    });
  };

  const launch = (name: string, kind: ClusterProcess['kind'], args: string[], url: string, env: Record<string, string>) => {
    const base = { name, kind, url, logFile: join(logDir, `${name}.log`), restarts: 0 };
    const child = spawnChild(base, args, env);
    const p: ClusterProcess = { ...base, pid: child.pid ?? -1, child };
    processes.push(p);
    watch(p, args, env);
    return p;
  };
  const stop = async () => {
    stopping = true;
    for (const p of processes.filter((x) => x.kind !== 'backend')) p.child.kill('SIGTERM');
    const workersDown = Promise.all(processes.filter((x) => x.kind !== 'backend').map((p) => exited(p.child)));
    const grace = setTimeout(() => processes.forEach((p) => p.child.kill('SIGKILL')), 40_000);
    await workersDown;
    for (const p of processes.filter((x) => x.kind === 'backend')) p.child.kill('SIGTERM');
    await Promise.all(processes.map((p) => exited(p.child)));
    clearTimeout(grace);
    for (const out of logs.values()) out.end();
  };
  try {
    launch('backend', 'backend', ['backend', '--port', String(opts.port), '--host', host], apiUrl, {});
    await waitFor('the backend to answer /health', async () => ((await fetch(`${apiUrl}/health`)).ok ? true : undefined), timeout, processes);
    const token = baseEnv['KTRDR_API_TOKEN'];
    const gpu = opts.gpuTrainingWorkers ?? 0;
    const specs: { kind: 'backtesting' | 'training'; n: number; gpu: boolean }[] = [];
    for (let i = 1; i <= opts.backtestWorkers; i++) specs.push({ kind: 'backtesting', n: i, gpu: false });
    for (let i = 1; i <= opts.trainingWorkers; i++) specs.push({ kind: 'training', n: i, gpu: i <= gpu });
    for (const s of specs) {
      const port = await freePort(host);
      const url = `http://${urlHost(host)}:${port}`;
      launch(`${s.kind}-${s.n}`, s.kind, ['worker', s.kind, '--port', String(port)], url, {
        KTRDR_API_URL: apiUrl,
        WORKER_ID: `${s.kind}-${s.n}${s.gpu ? '-gpu' : ''}`,
        WORKER_HOST: host,
        WORKER_ENDPOINT_URL: url,
        WORKER_GPU: s.gpu ? 'true' : 'false',
      });
    }
    await waitFor(
      `${specs.length} workers to register`,
      async () => {
        const res = await fetch(`${apiUrl}/api/v1/workers`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
        const list = (await res.json()) as unknown[];
        return Array.isArray(list) && list.length >= specs.length ? true : undefined;
      },
      timeout,
      processes,
    );
    started = true;
  } catch (err) {
    await stop();
    throw err;
  }
  return { apiUrl, processes, stop, backendExited };
}

/** `ktrdr up`: starts the cluster, prints where everything listens, stops it all on Ctrl+C / SIGTERM. */
export async function runLocalClusterMain(opts: LocalClusterOptions): Promise<void> {
  const out = process.stdout;
  const cluster = await startLocalCluster({ ...opts, restartWorkers: opts.restartWorkers ?? true, onEvent: (line) => out.write(`${line}\n`) });
  out.write(`ktrdr local cluster is up — API ${cluster.apiUrl} (dashboard ${cluster.apiUrl}/, API docs ${cluster.apiUrl}/docs)\n`);
  for (const p of cluster.processes) out.write(`  ${p.name.padEnd(14)} ${p.url.padEnd(24)} pid ${String(p.pid).padEnd(7)} log ${p.logFile}\n`);
  out.write(`Use it: KTRDR_API_URL=${cluster.apiUrl} ktrdr workers list   •   Ctrl+C stops everything.\n`);
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) {
    const reach = isWildcard(host) ? `http://<this machine's address>:${opts.port}` : cluster.apiUrl;
    out.write(`Another machine joins with: KTRDR_API_URL=${reach} KTRDR_API_TOKEN=<the same token> ktrdr worker backtesting\n`);
  }
  const backendDied = await new Promise<boolean>((resolveStop) => {
    const onSignal = () => {
      out.write('stopping the cluster (workers drain first)…\n');
      cluster.stop().then(() => resolveStop(false), () => resolveStop(false));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    void cluster.backendExited.then(() => cluster.stop().then(() => resolveStop(true), () => resolveStop(true)));
  });
  if (backendDied) throw new Error('the backend exited; the cluster was stopped (see its log above)');
}
