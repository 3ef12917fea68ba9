/**
 * The layers, enforced: each folder under src/ may import only the folders listed here, and no
 * module imports itself back through a cycle. The few exceptions are written down below with the
 * reason. Change the table only together with the design (STYLE.md §1, docs/developer-guide.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { repoRoot } from '../helpers/paths.js';

/** Which layers each layer may import (itself always). */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  contracts: [],
  net: ['contracts', 'core'],
  config: ['contracts'],
  domain: ['contracts'],
  core: ['contracts'],
  'server-kit': ['contracts'],
  http: ['contracts', 'core', 'server-kit'],
  'worker-kit': ['contracts', 'server-kit', 'net'],
  workers: ['contracts', 'domain', 'worker-kit', 'core'],
  cli: ['contracts', 'config'],
  bin: ['contracts', 'config', 'core', 'http', 'server-kit', 'worker-kit', 'workers', 'domain', 'net'],
};

/** Allowed exceptions, file by file: `from → to layer`, and why. */
export const EXCEPTIONS: readonly { from: string; to: string; why: string }[] = [
  { from: 'src/cli/commands/process-commands.ts', to: 'bin', why: '`ktrdr backend|worker` run the composition roots in-process' },
  { from: 'src/cli/program.ts', to: 'bin', why: 'the CLI prints the version the composition roots report' },
  { from: 'src/cli/commands/data-commands.ts', to: 'domain', why: 'offline data tools (import, generate) run locally, not on a worker' },
  { from: 'src/cli/commands/strategies-commands.ts', to: 'domain', why: '`strategies validate` checks a YAML file locally' },
];

export interface Edge {
  from: string;
  to: string;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import between files under src/ (repo-relative paths, `.ts`). */
export function importGraph(root: string): Edge[] {
  const edges: Edge[] = [];
  for (const file of walk(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) {
      const spec = (m[1] ?? m[2])!;
      const target = normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts');
      edges.push({ from: relative(root, file).split(sep).join('/'), to: relative(root, target).split(sep).join('/') });
    }
  }
  return edges;
}

function layerOf(path: string): string {
  return path.split('/')[1] ?? '';
}

/** Imports that break the layer table (after the written exceptions). */
export function layerViolations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const a = layerOf(from);
    const b = layerOf(to);
    if (a === b) continue;
    if (ALLOWED[a]?.includes(b)) continue;
    if (EXCEPTIONS.some((e) => e.from === from && e.to === b)) continue;
    out.push(`${from} imports ${to} (${a} → ${b} is not allowed)`);
  }
  return out;
}

/** Import cycles between modules (each reported once, as the path that closes it). */
export function importCycles(edges: readonly Edge[]): string[] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const state = new Map<string, 'active' | 'done'>();
  const cycles: string[] = [];
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'active');
    stack.push(node);
    for (const n of next.get(node) ?? []) {
      if (state.get(n) === 'active') cycles.push([...stack.slice(stack.indexOf(n)), n].join(' → '));
      else if (!state.has(n)) visit(n);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of next.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

test('every import respects the layers (contracts ← core ← http ← bin; worker-kit and workers apart)', () => {
  const violations = layerViolations(importGraph(repoRoot));
  assert.deepEqual(violations, [], violations.join('\n'));
});

test('no import cycles in src/', () => {
  const cycles = importCycles(importGraph(repoRoot));
  assert.deepEqual(cycles, [], cycles.join('\n'));
});

test('the layer check catches a deliberate violation and a deliberate cycle', () => {
  const bad: Edge[] = [
    { from: 'src/core/dispatch/dispatcher.ts', to: 'src/http/app.ts' },
    { from: 'src/worker-kit/create-worker.ts', to: 'src/core/operations/operations-service.ts' },
    { from: 'src/contracts/a.ts', to: 'src/contracts/b.ts' },
    { from: 'src/contracts/b.ts', to: 'src/contracts/a.ts' },
  ];
  assert.equal(layerViolations(bad).length, 2);
  assert.deepEqual(importCycles(bad), ['src/contracts/a.ts → src/contracts/b.ts → src/contracts/a.ts']);
  // Every written exception is still needed (a stale one hides nothing but misleads).
  const edges = importGraph(repoRoot);
  for (const e of EXCEPTIONS) {
    assert.ok(edges.some((x) => x.from === e.from && layerOf(x.to) === e.to), `exception no longer needed: ${e.from} → ${e.to}`);
  }
});
