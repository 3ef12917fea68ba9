/**
 * The dashboard's client script is a static file (src/http/dashboard/assets/app.js) with JSDoc
 * types: it is type-checked here against the DOM and the API contracts, and the build must ship
 * it unchanged next to the compiled plugin that serves it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';

test('assets/app.js type-checks (tsc -p tsconfig.dashboard.json, checkJs)', () => {
  const script = readFileSync(join(repoRoot, 'src/http/dashboard/assets/app.js'), 'utf8');
  assert.match(script, /^\/\/ @ts-check\n/, 'app.js starts with // @ts-check');
  const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.dashboard.json'], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, `tsc -p tsconfig.dashboard.json:\n${run.stdout}${run.stderr}`);
});

test('the build ships app.js as-is next to the dashboard plugin', () => {
  const source = readFileSync(join(repoRoot, 'src/http/dashboard/assets/app.js'), 'utf8');
  const shipped = readFileSync(join(repoRoot, 'dist/src/http/dashboard/assets/app.js'), 'utf8');
  assert.equal(shipped, source, 'dist is stale: run `npm run build`');
});
