/**
 * What the code says, for the checks on deployment files (compose, systemd, Kubernetes): the
 * environment variables ktrdr reads and their defaults (imported from the table in
 * src/config/env-schema.ts), and the worker's shutdown timings.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV_SPEC, type EnvVarSpec } from '../../src/config/env-schema.js';
import { repoRoot } from '../helpers/paths.js';

export const readRepoFile = (rel: string): string => readFileSync(join(repoRoot, rel), 'utf8');

/** Every variable ktrdr reads: the names in src/config/env-schema.ts's table. */
export const ENV_NAMES: ReadonlySet<string> = new Set(Object.keys(ENV_SPEC));

/** The numeric default the table gives `name`. */
export function envDefault(name: string): number {
  const spec: EnvVarSpec | undefined = (ENV_SPEC as Record<string, EnvVarSpec>)[name];
  assert.ok(spec !== undefined && typeof spec.default === 'number', `env-schema.ts has no numeric default for ${name}`);
  return spec.default;
}

/**
 * After SIGTERM a worker drains for WORKER_DRAIN_SECONDS; then a still-running job is cancelled
 * (cancelGraceMs before its thread is terminated) and the worker waits up to finalReportMs for
 * the backend to read the final state. Both defaults are read from the worker kit.
 */
const workerKit = readRepoFile('src/worker-kit/create-worker.ts');
function kitDefaultSeconds(name: string): number {
  const m = new RegExp(`\\b${name}: ([0-9_]+),`).exec(workerKit);
  assert.ok(m, `create-worker.ts: no default for ${name}`);
  return Number(m[1]!.replace(/_/g, '')) / 1000;
}
export const FINAL_REPORT_SECONDS = kitDefaultSeconds('finalReportMs') + kitDefaultSeconds('cancelGraceMs');

/** `ktrdr worker` exits on its own this long after the drain period, whatever is left (src/bin/worker.ts). */
export const WORKER_FORCE_EXIT_AFTER_DRAIN_SECONDS: number = (() => {
  const m = /onShutdownSignal\(.*config\.drainMs \+ ([0-9_]+)\)/.exec(readRepoFile('src/bin/worker.ts'));
  assert.ok(m, 'src/bin/worker.ts: no `config.drainMs + N` force-exit delay');
  return Number(m[1]!.replace(/_/g, '')) / 1000;
})();

/** `ktrdr backend` exits on its own this long after SIGTERM if closing hangs (src/bin/backend.ts). */
export const BACKEND_FORCE_EXIT_SECONDS: number = (() => {
  const m = /onShutdownSignal\(log, \(\) => backend\.close\(\), ([0-9_]+)\)/.exec(readRepoFile('src/bin/backend.ts'));
  assert.ok(m, 'src/bin/backend.ts: no force-exit delay in onShutdownSignal');
  return Number(m[1]!.replace(/_/g, '')) / 1000;
})();
