/** Shared setup of the security tests: a sandbox of data/models/strategies dirs with a canary file next to them. */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { tempDir } from '../helpers/cluster.js';
import { repoRoot } from '../helpers/paths.js';

export interface Sandbox {
  root: string;
  dataDir: string;
  modelsDir: string;
  strategiesDir: string;
  /** Files outside the three dirs whose content must never appear in a reply. */
  canaries: string[];
  /** Unique text inside every canary file. */
  canaryText: string;
  /** Env of servers that use the sandbox. */
  env: Record<string, string>;
  remove(): void;
}

const OLD_ATIME_S = 1_000_000;

/**
 * A temp root holding data/ (the EURUSD sample), models/, strategies/ (the shipped strategies)
 * and canary files outside them: `root/canary.yaml`, `root/canary`, `root/models-canary/…`.
 * Their atime is set far in the past so a read is visible (relatime updates it when atime < mtime).
 */
export function createSandbox(): Sandbox {
  const dir = tempDir('ktrdr-sec-');
  const root = dir.path;
  const dataDir = join(root, 'data');
  const modelsDir = join(root, 'models');
  const strategiesDir = join(root, 'strategies');
  for (const d of [dataDir, modelsDir, strategiesDir]) mkdirSync(d);
  for (const f of readdirSync(join(repoRoot, 'strategies'))) copyFileSync(join(repoRoot, 'strategies', f), join(strategiesDir, f));
  for (const f of readdirSync(join(repoRoot, 'data')).filter((n) => n.startsWith('EURUSD_'))) copyFileSync(join(repoRoot, 'data', f), join(dataDir, f));
  const canaryText = `KTRDR_CANARY_${randomBytes(8).toString('hex')}`;
  const outside = join(root, 'models-canary', 'rsi_macd_1h', '1h_v1');
  mkdirSync(outside, { recursive: true });
  const canaries = [join(root, 'canary.yaml'), join(root, 'canary'), join(outside, 'model.json'), join(root, 'canary.csv')];
  for (const c of canaries) writeFileSync(c, `${canaryText}\n`);
  for (const c of canaries) utimesSync(c, OLD_ATIME_S, Date.now() / 1000);
  return {
    root,
    dataDir,
    modelsDir,
    strategiesDir,
    canaries,
    canaryText,
    env: { KTRDR_DATA_DIR: dataDir, KTRDR_MODELS_DIR: modelsDir, KTRDR_STRATEGIES_DIR: strategiesDir },
    remove: dir.remove,
  };
}

/** Canary files whose atime moved, i.e. that something read. */
export function canariesRead(sandbox: Sandbox): string[] {
  return sandbox.canaries.filter((c) => statSync(c).atimeMs / 1000 > OLD_ATIME_S + 1);
}

/** Whether this file system records reads at all (it does not with noatime). */
export function atimeIsRecorded(root: string): boolean {
  const probe = join(root, 'atime-probe');
  writeFileSync(probe, 'x');
  utimesSync(probe, OLD_ATIME_S, Date.now() / 1000);
  readFileSync(probe);
  return statSync(probe).atimeMs / 1000 > OLD_ATIME_S + 1;
}

/** A backend and a backtest worker in this process, on 127.0.0.1 ephemeral ports, using the sandbox. */
export async function startServers(
  t: import('node:test').TestContext,
  opts: { token?: string; sandbox: Sandbox },
): Promise<{ backendUrl: string; workerUrl: string }> {
  const { loadBackendConfig, loadWorkerConfig } = await import('../../src/config/env.js');
  const { startBackend } = await import('../../src/bin/backend.js');
  const { startWorker } = await import('../../src/bin/worker.js');
  const { pino } = await import('pino');
  const log = pino({ level: 'silent' });
  const env = { ...opts.sandbox.env, ...(opts.token ? { KTRDR_API_TOKEN: opts.token } : {}) };
  const backend = await startBackend(
    loadBackendConfig(env, { port: 0, host: '127.0.0.1', dbPath: join(opts.sandbox.root, `ktrdr-${randomBytes(3).toString('hex')}.db`), healthCheckIntervalMs: 60_000 }),
    { log },
  );
  const worker = await startWorker(
    loadWorkerConfig('backtesting', { ...env, KTRDR_API_URL: backend.url, WORKER_ID: `sec-${randomBytes(3).toString('hex')}` }, { port: 0, host: '127.0.0.1', endpointUrl: 'http://127.0.0.1:1' }),
    { log },
  );
  t.after(async () => {
    await worker.worker.close();
    await backend.close();
  });
  return { backendUrl: backend.url, workerUrl: worker.url };
}
