import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export interface LocalClusterOptions {
  backtestWorkers: number;
  trainingWorkers: number;
  /** Training workers that declare a GPU (WORKER_GPU=true); counted inside trainingWorkers. */
  gpuTrainingWorkers?: number;
  port: number;
  /** Where child logs go. @defaultValue .ktrdr/logs */
  logDir?: string;
  /** Extra environment for every child (e.g. KTRDR_DB_PATH, KTRDR_MODELS_DIR). */
  env?: Record<string, string>;
  /** Give up waiting for registration after this long. @defaultValue 60000 */
  startTimeoutMs?: number;
}

export interface ClusterProcess {
  name: string;
  kind: 'backend' | 'backtesting' | 'training';
  url: string;
  pid: number;
  logFile: string;
  child: ChildProcess;
}

export interface LocalCluster {
  apiUrl: string;
  processes: ClusterProcess[];
  /** SIGTERM to every child (workers drain), SIGKILL after a grace period. */
  stop(): Promise<void>;
}

const CLI = new URL('./main.js', import.meta.url);

/** A free TCP port on 127.0.0.1 (the OS picks it; a tiny race before the child binds is accepted). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(false)));
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, child?: ChildProcess): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`${what}: process exited with code ${child.exitCode}`);
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** Starts a backend and workers as child processes on 127.0.0.1 and waits until all workers are registered. */
export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  const logDir = resolve(opts.logDir ?? join('.ktrdr', 'logs'));
  mkdirSync(logDir, { recursive: true });
  const timeout = opts.startTimeoutMs ?? 60_000;
  if (await portInUse(opts.port)) {
    throw new Error(`port ${opts.port} is already in use (another backend running?): pick another with --port`);
  }
  const apiUrl = `http://127.0.0.1:${opts.port}`;
  const baseEnv: Record<string, string | undefined> = {
    ...process.env,
    HEALTH_CHECK_INTERVAL_SECONDS: process.env['HEALTH_CHECK_INTERVAL_SECONDS'] ?? '2',
    HEALTH_CHECK_TIMEOUT_SECONDS: process.env['HEALTH_CHECK_TIMEOUT_SECONDS'] ?? '2',
    WORKER_REGISTRATION_CHECK_SECONDS: process.env['WORKER_REGISTRATION_CHECK_SECONDS'] ?? '2',
    ...opts.env,
  };
  const processes: ClusterProcess[] = [];
  const launch = (name: string, kind: ClusterProcess['kind'], args: string[], url: string, env: Record<string, string>) => {
    const logFile = join(logDir, `${name}.log`);
    const out = createWriteStream(logFile, { flags: 'w' });
    const child = spawn(process.execPath, [CLI.pathname, ...args], { env: { ...baseEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    const p: ClusterProcess = { name, kind, url, pid: child.pid ?? -1, logFile, child };
    processes.push(p);
    return p;
  };
  const stop = async () => {
    for (const p of processes.filter((x) => x.kind !== 'backend')) p.child.kill('SIGTERM');
    const workersDown = Promise.all(processes.filter((x) => x.kind !== 'backend').map((p) => exited(p.child)));
    const grace = setTimeout(() => processes.forEach((p) => p.child.kill('SIGKILL')), 40_000);
    await workersDown;
    for (const p of processes.filter((x) => x.kind === 'backend')) p.child.kill('SIGTERM');
    await Promise.all(processes.map((p) => exited(p.child)));
    clearTimeout(grace);
  };
  try {
    const backend = launch('backend', 'backend', ['backend', '--port', String(opts.port), '--host', '127.0.0.1'], apiUrl, {});
    await waitFor('backend /health', async () => ((await fetch(`${apiUrl}/health`)).ok ? true : undefined), timeout, backend.child);
    const token = baseEnv['KTRDR_API_TOKEN'];
    const gpu = opts.gpuTrainingWorkers ?? 0;
    const specs: { kind: 'backtesting' | 'training'; n: number; gpu: boolean }[] = [];
    for (let i = 1; i <= opts.backtestWorkers; i++) specs.push({ kind: 'backtesting', n: i, gpu: false });
    for (let i = 1; i <= opts.trainingWorkers; i++) specs.push({ kind: 'training', n: i, gpu: i <= gpu });
    for (const s of specs) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      launch(`${s.kind}-${s.n}`, s.kind, ['worker', s.kind, '--port', String(port)], url, {
        KTRDR_API_URL: apiUrl,
        WORKER_ID: `${s.kind}-${s.n}${s.gpu ? '-gpu' : ''}`,
        WORKER_HOST: '127.0.0.1',
        WORKER_ENDPOINT_URL: url,
        WORKER_GPU: s.gpu ? 'true' : 'false',
      });
    }
    await waitFor(
      `${specs.length} workers to register`,
      async () => {
        const res = await fetch(`${apiUrl}/api/v1/workers`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
        const list = (await res.json()) as unknown[];
        for (const p of processes) if (p.child.exitCode !== null) throw Object.assign(new Error(`${p.name} exited; see ${p.logFile}`), { fatal: true });
        return Array.isArray(list) && list.length >= specs.length ? true : undefined;
      },
      timeout,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { apiUrl, processes, stop };
}

/** `ktrdr up`: starts the cluster, prints where everything listens, stops it all on Ctrl+C / SIGTERM. */
export async function runLocalClusterMain(opts: LocalClusterOptions): Promise<void> {
  const cluster = await startLocalCluster(opts);
  const out = process.stdout;
  out.write(`ktrdr local cluster is up — API ${cluster.apiUrl} (dashboard ${cluster.apiUrl}/, API docs ${cluster.apiUrl}/docs)\n`);
  for (const p of cluster.processes) out.write(`  ${p.name.padEnd(14)} ${p.url.padEnd(24)} pid ${String(p.pid).padEnd(7)} log ${p.logFile}\n`);
  out.write(`Use it: KTRDR_API_URL=${cluster.apiUrl} ktrdr workers list   •   Ctrl+C stops everything.\n`);
  await new Promise<void>((resolveStop) => {
    const onSignal = () => {
      out.write('stopping the cluster (workers drain first)…\n');
      cluster.stop().then(resolveStop, resolveStop);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    for (const p of cluster.processes) {
      p.child.once('exit', (code, signal) => {
        if (code !== 0 && signal === null) out.write(`${p.name} exited with code ${code}; see ${p.logFile}\n`);
      });
    }
  });
}
