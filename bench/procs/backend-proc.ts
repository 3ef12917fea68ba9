/**
 * The backend as its own process for the cluster bench: the real startBackend on an ephemeral
 * loopback port with a temp SQLite file, whose backtest route (like test/fixtures/fixture-backend.ts)
 * also accepts `fixture`, the bench job's knobs; the real validation (strategy, data) still runs.
 * Sends `{ url }` over IPC when listening; exits on 'stop'.
 */
import { Type } from 'typebox';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadBackendConfig } from '../../src/config/env.js';
import { startBackend } from '../../src/bin/backend.js';
import type { StartRouteSpec } from '../../src/http/routes/start.js';
import { backtestStartRoute } from '../../src/workers/backtest/backtest-start-route.js';

const dir = mkdtempSync(join(tmpdir(), 'ktrdr-bench-backend-'));
const config = loadBackendConfig({}, { port: 0, host: '127.0.0.1', dbPath: join(dir, 'db'), healthCheckIntervalMs: 60_000 });
const real = backtestStartRoute({ dataDir: config.dataDir, strategiesDir: config.strategiesDir, modelsDir: config.modelsDir });
const backtests: StartRouteSpec = {
  ...(real as unknown as StartRouteSpec),
  body: Type.Object({ ...real.body.properties, fixture: Type.Optional(Type.Unknown()) }, { additionalProperties: false }),
};
const backend = await startBackend(config, { log: pino({ level: 'silent' }), startRoutes: [backtests] });
process.on('message', (msg: { cmd?: string }) => {
  if (msg.cmd !== 'stop') return;
  void backend.close().finally(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
});
process.send!({ url: backend.url });
// The bench died without saying stop: don't outlive it.
process.on('disconnect', () => process.exit(1));
