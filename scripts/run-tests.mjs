#!/usr/bin/env node
// Runs the compiled test suite (dist/test/**/*.test.js) with node:test and fails when no test ran.
// Node 20's `--test` does not expand globs, so the files are listed here.
// Usage: npm test [-- <path-substring> ...]   e.g. `npm test -- core/ e2e/cluster`
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const root = new URL('../dist/test/', import.meta.url).pathname;
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : name.endsWith('.test.js') ? [p] : [];
  });
}
const filters = process.argv.slice(2);
let files;
try {
  files = walk(root).sort();
} catch {
  console.error('no compiled tests under dist/test: run `npm run build` first');
  process.exit(1);
}
if (filters.length > 0) files = files.filter((f) => filters.some((x) => relative(root, f).includes(x.replace(/\.ts$/, ''))));
if (files.length === 0) {
  console.error(`no test files matched ${filters.join(' ') || '(all)'}`);
  process.exit(1);
}

let passed = 0;
let failed = 0;
let skipped = 0;
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);
const stream = run({ files, concurrency, timeout: 5 * 60_000 });
stream.on('test:pass', (e) => {
  if (e.details?.type === 'suite') return;
  if (e.skip || e.todo) skipped++;
  else passed++;
});
stream.on('test:fail', (e) => {
  if (e.details?.type === 'suite') return;
  failed++;
});
const out = stream.compose(spec);
out.pipe(process.stdout);
out.on('end', () => {
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (passed + failed === 0) {
    console.error('no test executed: failing the run');
    process.exitCode = 1;
  } else if (failed > 0) process.exitCode = 1;
});
