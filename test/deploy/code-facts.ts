/**
 * What the code says, for the checks on deployment files (compose, systemd, Kubernetes): the
 * environment variables src/config/env.ts reads and their defaults, and the worker's shutdown timings.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';

export const readRepoFile = (rel: string): string => readFileSync(join(repoRoot, rel), 'utf8');

const envSource = readRepoFile('src/config/env.ts');

/** Every variable env.ts reads through its str/num/bool/url helpers. */
export const ENV_NAMES: ReadonlySet<string> = new Set(
  [...envSource.matchAll(/\b(?:str|num|bool|url)\(\s*\w+,\s*'([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]!),
);

/** The numeric default env.ts gives `name`. */
export function envDefault(name: string): number {
  const m = new RegExp(`num\\(env, '${name}', (\\d+(?:\\.\\d+)?)`).exec(envSource);
  assert.ok(m, `env.ts has no numeric default for ${name}`);
  return Number(m[1]);
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
