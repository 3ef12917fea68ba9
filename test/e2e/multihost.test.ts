/**
 * Multi-host, for real: four hosts on a private LAN (test/helpers/netns-lab.ts: one network
 * namespace each, 10.77.0.0/24, joined by a bridge, no default route, no shared mount), running
 * the backend, two backtest workers and a training worker that declares a GPU. Workers find their
 * own address (no WORKER_ENDPOINT_URL), everything needs the token. Only the backend has data. A
 * model is trained on the GPU host (which fetches the CSV and uploads the bundle to the backend)
 * and backtested on the two others (which fetch model and CSV from the backend by hash); then one backtest worker is unplugged for longer than the
 * removal threshold while it runs a backtest, and the operation still ends with its true outcome.
 *
 * Root only (CI runs as root); skipped with the reason otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleDirSha256 } from '../../src/domain/model/bundle-archive.js';
import { CLI, tempDir } from '../helpers/cluster.js';
import { LAB_PREFIX, labSkipReason, labTempDirPrefix, NetnsLab, sweepStaleLabs, type LabEndpoint, type LabProc } from '../helpers/netns-lab.js';
import { repoRoot } from '../helpers/paths.js';

const skip = labSkipReason();
const HOSTS = ['backend', 'bt1', 'bt2', 'gpu'] as const;
type Host = (typeof HOSTS)[number];
const API_PORT = 8000;
const REMOVAL_S = 3;
/** The data rsi_macd_1h reads. */
const CSV = 'EURUSD_1h.csv';
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * Health timings short enough for a test, loose enough for a loaded CI machine: a silent worker is
 * unavailable in ~1.5 s and removed 3 s later.
 */
const TIMINGS: Record<string, string> = {
  HEALTH_CHECK_INTERVAL_SECONDS: '0.5',
  HEALTH_CHECK_TIMEOUT_SECONDS: '1',
  HEALTH_CHECK_FAILURE_THRESHOLD: '2',
  WORKER_REMOVAL_THRESHOLD_SECONDS: String(REMOVAL_S),
  // Far longer than the partition: the operation must keep its true outcome, not be settled as lost.
  ORPHAN_TIMEOUT_SECONDS: '120',
  WORKER_REGISTRATION_CHECK_SECONDS: '0.5',
  WORKER_HEALTH_SILENCE_SECONDS: '3',
  LOG_LEVEL: 'info',
};

interface HostDirs {
  data: string;
  models: string;
  strategies: string;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(intervalMs);
  }
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

test('the sweep removes labs (namespaces, bridge, veths, processes, temp dirs) left by a test run that died, never a live run\'s', { skip }, async (t) => {
  // A pid that certainly belongs to no running process: one that just exited.
  const gone = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => gone.once('exit', r));
  const stale = `${LAB_PREFIX}${gone.pid}-dead00-x`;
  const live = `${LAB_PREFIX}${process.pid}-live00-x`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  t.after(() => {
    for (const ns of [stale, live]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  });
  for (const ns of [stale, live]) {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', ns, 'link', 'add', 'name', 'va', 'type', 'veth', 'peer', 'name', 'vb');
  }
  const staleDir = mkdtempSync(join(tmpdir(), `${LAB_PREFIX}${gone.pid}-`));
  const sleeper = spawn('ip', ['netns', 'exec', stale, 'sleep', '60'], { stdio: 'ignore' });
  const sleeperExit = new Promise((r) => sleeper.once('exit', (_c, sig) => r(sig)));
  await until('the process inside the stale lab', async () => execFileSync('ip', ['netns', 'pids', stale], { encoding: 'utf8' }).trim() !== '', 5_000, 20);

  const swept = sweepStaleLabs();
  assert.ok(swept.includes(stale), `swept ${swept.join(' ')}`);
  assert.ok(!swept.includes(live), 'a lab whose test process runs is left alone');
  assert.equal(await sleeperExit, 'SIGKILL', 'processes inside a stale lab are killed');
  assert.ok(!existsSync(staleDir), 'its temp dir is removed');
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  assert.doesNotMatch(left, new RegExp(stale));
  assert.match(left, new RegExp(live));
});

test('four hosts on a private LAN: train on the GPU host, backtest on the others, a partitioned worker keeps its true outcome', { skip, timeout: 180_000 }, async (t) => {
  const t0 = Date.now();
  const mark = (what: string) => t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  const swept = sweepStaleLabs();
  if (swept.length > 0) t.diagnostic(`removed namespaces left by an aborted run: ${swept.join(' ')}`);
  const root = tempDir(labTempDirPrefix());
  const lab = NetnsLab.create(HOSTS, root.path);
  const procs: LabProc[] = [];
  t.after(async () => {
    await lab.close();
    root.remove();
  });
  const failWith = (msg: string) => {
    const logs = procs.map((p) => `----- ${p.name} (${p.host})\n${p.output().slice(-3000)}`).join('\n');
    return new Error(`${msg}\n${logs}`);
  };

  // Each host has its own directories: nothing is shared but the network.
  const dirs = Object.fromEntries(
    HOSTS.map((h) => {
      const d = { data: join(root.path, h, 'data'), models: join(root.path, h, 'models'), strategies: join(root.path, h, 'strategies') };
      for (const p of Object.values(d)) mkdirSync(p, { recursive: true });
      cpSync(join(repoRoot, 'strategies'), d.strategies, { recursive: true });
      return [h, d];
    }),
  ) as Record<Host, HostDirs>;
  // Only the backend has data; workers fetch the CSVs a job needs from it, by hash.
  for (const f of readdirSync(join(repoRoot, 'data')).filter((f) => f.endsWith('.csv'))) cpSync(join(repoRoot, 'data', f), join(dirs.backend.data, f));

  const token = randomBytes(32).toString('hex');
  const hostEnv = (h: Host): Record<string, string> => ({
    ...TIMINGS,
    KTRDR_API_TOKEN: token,
    KTRDR_DATA_DIR: dirs[h].data,
    KTRDR_MODELS_DIR: dirs[h].models,
    KTRDR_STRATEGIES_DIR: dirs[h].strategies,
  });
  const apiUrl = `http://${lab.address('backend')}:${API_PORT}`;

  // The backend: listens on 0.0.0.0 (the default with a token), i.e. its LAN address.
  procs.push(
    lab.spawnNode('backend', 'backend', [CLI, 'backend', '--port', String(API_PORT)], {
      ...hostEnv('backend'),
      KTRDR_DB_PATH: join(root.path, 'backend', 'ktrdr.db'),
    }),
  );
  const backend: LabEndpoint = await lab.expose('backend', API_PORT);
  const call = <T = any>(path: string, init: { method?: string; body?: unknown } = {}) => backend.request<T>(path, { ...init, token });
  await until('the backend on its LAN address', async () => (await backend.request('/api/v1/health')).status === 200, 20_000).catch((e: Error) => {
    throw failWith(e.message);
  });
  assert.equal((await backend.request('/health')).status, 200, 'both health paths are public');
  assert.equal((await backend.request('/api/v1/workers')).status, 401, 'the API needs the token');

  // Workers: no WORKER_ENDPOINT_URL, WORKER_HOST or WORKER_ID; each finds its address toward the backend.
  const workerHosts: [Host, 'backtesting' | 'training'][] = [['bt1', 'backtesting'], ['bt2', 'backtesting'], ['gpu', 'training']];
  for (const [h, type] of workerHosts) {
    const env = { ...hostEnv(h), KTRDR_API_URL: apiUrl, ...(h === 'gpu' ? { WORKER_GPU: 'true' } : {}) };
    procs.push(lab.spawnNode(h, `${type}@${h}`, [CLI, 'worker', type], env));
  }
  type Worker = { worker_id: string; worker_type: string; endpoint_url: string; status: string; capabilities: { gpu: boolean } };
  const workers = await until(
    'three workers registered',
    async () => {
      const dead = procs.find((p) => p.child.exitCode !== null);
      if (dead) throw failWith(`${dead.name} exited with ${dead.child.exitCode}`);
      const list = (await call<Worker[]>('/api/v1/workers')).body;
      return list.length === 3 && list.every((w) => w.status === 'available') ? list : undefined;
    },
    45_000,
  ).catch((e: Error) => {
    throw e.message.includes('-----') ? e : failWith(e.message);
  });
  mark('backend and three workers registered');
  const byHost = new Map<Host, Worker>();
  for (const [h, type] of workerHosts) {
    const w = workers.find((x) => x.endpoint_url === `http://${lab.address(h)}:${type === 'training' ? 5004 : 5003}`);
    assert.ok(w, `no worker registered from ${h} at its LAN address: ${JSON.stringify(workers)}`);
    assert.equal(w.worker_type, type);
    assert.match(w.worker_id, new RegExp(`^${type}-${h}-`), 'the default worker id carries the host name');
    byHost.set(h, w);
  }
  assert.equal(byHost.get('gpu')!.capabilities.gpu, true);
  assert.equal(byHost.get('bt1')!.capabilities.gpu, false);

  // Train on the GPU host.
  const train = await call('/api/v1/training/start', {
    method: 'POST',
    body: { strategy_name: 'rsi_macd_1h', start_date: '2023-01-01', end_date: '2023-12-31', require_gpu: true },
  });
  assert.equal(train.status, 200, JSON.stringify(train.body));
  const trained = await until('the training', async () => {
    const op = (await call(`/api/v1/operations/${train.body.operation_id}`)).body.data;
    return ['completed', 'failed', 'cancelled'].includes(op.status) ? op : undefined;
  }, 90_000);
  assert.equal(trained.status, 'completed', trained.error_message);
  assert.equal(trained.worker_id, byHost.get('gpu')!.worker_id);
  const { model_path: modelPath, model_sha256: modelSha } = trained.result_summary as { model_path: string; model_sha256: string };
  mark(`trained ${modelPath} on the GPU host`);
  assert.equal(await bundleDirSha256(join(dirs.backend.models, modelPath)), modelSha, 'the GPU host uploaded the bundle to the backend');
  assert.equal(sha256(join(dirs.gpu.data, CSV)), sha256(join(dirs.backend.data, CSV)), 'the GPU host fetched the CSV it lacked');
  for (const h of ['bt1', 'bt2'] as const) {
    assert.deepEqual([...listFiles(dirs[h].models), ...listFiles(dirs[h].data)], [], `${h} has no model and no data yet: nothing is shared`);
  }

  // Backtest the model on both backtest hosts at once (one job per worker: each gets one).
  const btBody = { strategy_name: 'rsi_macd_1h', model_path: modelPath, start_date: '2019-01-01', end_date: '2024-12-31' };
  const waitDone = (id: string, timeoutMs = 60_000) =>
    until(`operation ${id}`, async () => {
      const op = (await call(`/api/v1/operations/${id}`)).body.data;
      return ['completed', 'failed', 'cancelled'].includes(op.status) ? op : undefined;
    }, timeoutMs);
  const starts = await Promise.all([1, 2].map(() => call('/api/v1/backtests/start', { method: 'POST', body: btBody })));
  for (const s of starts) assert.equal(s.status, 200, JSON.stringify(s.body));
  const backtests = await Promise.all(starts.map((s) => waitDone(s.body.operation_id)));
  for (const op of backtests) assert.equal(op.status, 'completed', op.error_message);
  assert.deepEqual(
    backtests.map((op) => op.worker_id).sort(),
    [byHost.get('bt1')!.worker_id, byHost.get('bt2')!.worker_id].sort(),
    'one backtest on each backtest host',
  );
  assert.deepEqual(backtests[0].result_summary.metrics, backtests[1].result_summary.metrics, 'the same model gives the same result on both hosts');
  const expected = backtests[0].result_summary.metrics;
  for (const h of ['bt1', 'bt2'] as const) {
    assert.equal(await bundleDirSha256(join(dirs[h].models, modelPath)), modelSha, `${h} fetched the model from the backend`);
    assert.equal(sha256(join(dirs[h].data, CSV)), sha256(join(dirs.backend.data, CSV)), `${h} fetched the CSV from the backend`);
  }

  mark('backtested on both backtest hosts');
  // Partition: unplug the worker running a backtest for longer than the removal threshold.
  let partitioned: { id: string; host: Host; workerId: string } | undefined;
  for (let attempt = 1; attempt <= 5 && !partitioned; attempt++) {
    const s = await call('/api/v1/backtests/start', { method: 'POST', body: btBody });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    const id = s.body.operation_id as string;
    const running = await until('the backtest running', async () => {
      const op = (await call(`/api/v1/operations/${id}`)).body.data;
      return op.status !== 'queued' && op.status !== 'pending' ? op : undefined;
    }, 20_000, 10);
    const host = ([...byHost].find(([, w]) => w.worker_id === running.worker_id)?.[0]) as Host | undefined;
    if (running.status === 'running' && host) {
      lab.setLink(host, false);
      // The backend has not heard the end yet: the cut came while the job ran. Otherwise the
      // backtest beat the cut (a fast machine): plug back in and try again.
      const op = (await call(`/api/v1/operations/${id}`)).body.data;
      if (op.status === 'running') partitioned = { id, host, workerId: running.worker_id };
      else {
        lab.setLink(host, true);
        t.diagnostic(`attempt ${attempt}: the backtest ended before the cut`);
        await waitDone(id);
      }
    } else await waitDone(id);
  }
  assert.ok(partitioned, 'five backtests in a row ended before the link could be cut');
  const cutAt = Date.now();
  mark(`unplugged ${partitioned.host} while it ran ${partitioned.id}`);
  await until('the unplugged worker removed from the registry', async () => {
    const list = (await call<Worker[]>('/api/v1/workers')).body;
    return !list.some((w) => w.worker_id === partitioned!.workerId);
  }, 15_000, 100);
  const during = (await call(`/api/v1/operations/${partitioned.id}`)).body.data;
  assert.equal(during.status, 'running', `removal does not settle the operation: ${JSON.stringify(during)}`);
  assert.ok(Date.now() - cutAt >= REMOVAL_S * 1000);
  lab.setLink(partitioned.host, true);
  mark(`removed from the registry; plugged back in after ${Date.now() - cutAt} ms`);

  const done = await waitDone(partitioned.id, 30_000);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  assert.equal(done.worker_id, partitioned.workerId);
  assert.deepEqual(done.result_summary.metrics, expected, 'the true outcome: the same result as the undisturbed runs');
  assert.deepEqual(
    done.attempts.map((a: { worker_id: string; outcome: string }) => [a.worker_id, a.outcome]),
    [[partitioned.workerId, 'completed']],
    'one attempt, never re-run elsewhere',
  );
  mark('the operation completed with its true outcome');
  await until('the worker back in the registry', async () => {
    const list = (await call<Worker[]>('/api/v1/workers')).body;
    return list.some((w) => w.worker_id === partitioned!.workerId && w.status === 'available');
  }, 20_000);

  mark('the worker registered again');
  for (const p of procs) await p.stop(10_000);
  await lab.close();
  assert.deepEqual(lab.leftovers(), [], 'every namespace, veth and bridge is gone');
  mark('stopped and cleaned up');
});

test('`ktrdr up --host` for a LAN demo: a worker on another host joins it, the CLI on a third host sees both', { skip, timeout: 120_000 }, async (t) => {
  const root = tempDir(labTempDirPrefix());
  const lab = NetnsLab.create(['demo', 'joiner', 'laptop'], root.path);
  t.after(async () => {
    await lab.close();
    root.remove();
  });
  const token = randomBytes(32).toString('hex');
  const dirsOf = (h: string) => ({
    KTRDR_DATA_DIR: join(repoRoot, 'data'),
    KTRDR_STRATEGIES_DIR: join(repoRoot, 'strategies'),
    KTRDR_MODELS_DIR: join(root.path, h, 'models'),
  });
  const demoAddr = lab.address('demo');
  const up = lab.spawnNode('demo', 'ktrdr up', [CLI, 'up', '--host', demoAddr, '--backtest-workers', '1', '--training-workers', '0', '--log-dir', join(root.path, 'logs')], {
    ...dirsOf('demo'),
    KTRDR_API_TOKEN: token,
    KTRDR_DB_PATH: join(root.path, 'ktrdr.db'),
  });
  const joinLine = await until('ktrdr up to print how to join', async () => {
    if (up.child.exitCode !== null) throw new Error(`ktrdr up exited: ${up.output()}`);
    return /Another machine joins with: (KTRDR_API_URL=\S+)/.exec(up.output())?.[1];
  }, 60_000);
  const apiUrl = `http://${demoAddr}:8000`;
  assert.equal(joinLine, `KTRDR_API_URL=${apiUrl}`);
  assert.match(up.output(), new RegExp(`backtesting-1\\s+http://${demoAddr.replace(/\./g, '\\.')}:\\d+`));

  lab.spawnNode('joiner', 'worker@joiner', [CLI, 'worker', 'backtesting'], { ...dirsOf('joiner'), KTRDR_API_URL: apiUrl, KTRDR_API_TOKEN: token, LOG_LEVEL: 'warn' });
  const list = async () => {
    const cli = lab.spawnNode('laptop', 'ktrdr workers list', [CLI, 'workers', 'list', '--json'], { KTRDR_API_URL: apiUrl, KTRDR_API_TOKEN: token });
    assert.equal(await cli.exited, 0, cli.output());
    return JSON.parse(cli.output()) as { worker_id: string; endpoint_url: string }[];
  };
  const workers = await until('the joining worker in `ktrdr workers list`', async () => {
    const l = await list();
    return l.length === 2 ? l : undefined;
  }, 30_000, 500);
  const endpoints = workers.map((w) => w.endpoint_url).sort();
  assert.match(endpoints[0]!, new RegExp(`^http://${demoAddr.replace(/\./g, '\\.')}:\\d+$`), 'the demo host\'s own worker, on --host');
  assert.equal(endpoints[1], `http://${lab.address('joiner')}:5003`, 'the joining worker, at its detected address');

  await up.stop(30_000);
  assert.equal(await up.exited, 0, up.output());
});
