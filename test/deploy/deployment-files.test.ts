/**
 * Checks the deployment files (Dockerfile, compose files, systemd units and env examples,
 * config/workers.*.yaml, docs) against the code they deploy: CLI entry and subcommands,
 * environment variables read by src/config/env.ts, worker drain timing, health checks.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it, after, before } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_WORKER_PORTS, loadBackendConfig, loadWorkerConfig, loadWorkersYaml, TOKEN_PLACEHOLDER } from '../../src/config/env.js';
import { buildProgram } from '../../src/cli/program.js';
import { WORKER_TYPES } from '../../src/contracts/worker.js';
import { repoRoot } from '../helpers/paths.js';
import { ENV_NAMES, envDefault, FINAL_REPORT_SECONDS } from './code-facts.js';

const read = (rel: string): string => readFileSync(join(repoRoot, rel), 'utf8');

// ---------------------------------------------------------------------------------------------
// What the code says
// ---------------------------------------------------------------------------------------------

const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> };
const CLI_PATH = pkg.bin['ktrdr']!;

// ---------------------------------------------------------------------------------------------
// Small parsers
// ---------------------------------------------------------------------------------------------

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  container_name?: string;
  ports?: unknown[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | { source: string; target: string })[];
  healthcheck?: { test: string[] | string; disable?: boolean };
  stop_grace_period?: string;
  init?: boolean;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, { driver?: string; driver_opts?: Record<string, string> } | null>;
}

function loadCompose(rel: string): { text: string; doc: ComposeFile } {
  const text = read(rel);
  return { text, doc: parseYaml(text, { merge: true }) as ComposeFile };
}

/** Resolves `${VAR:-default}` to its default and leaves plain text; `${VAR}`/`${VAR:?}` give undefined. */
function interpolateDefault(value: string): string | undefined {
  let unresolved = false;
  const out = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*)|(:?\?)([^}]*))?\}/g, (_m, _name, dash, def) => {
    if (dash !== undefined) return def as string;
    unresolved = true;
    return '';
  });
  return unresolved ? undefined : out;
}

function serviceEnv(s: ComposeService): Record<string, string> {
  const env = s.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((e) => {
        const i = e.indexOf('=');
        return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function interpolationVars(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))];
}

function durationSeconds(d: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|us|h|m|s)/g;
  let total = 0;
  let matched = '';
  for (const m of d.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 's' ? n : m[2] === 'ms' ? n / 1000 : n / 1e6;
    matched += m[0];
  }
  assert.equal(matched, d, `unparsable duration '${d}'`);
  return total;
}

function mounts(s: ComposeService): Map<string, string> {
  const out = new Map<string, string>(); // target -> source
  for (const v of s.volumes ?? []) {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      out.set(target!, source!);
    } else out.set(v.target, v.source);
  }
  return out;
}

/** Drain seconds a worker service runs with: its env, else the YAML its KTRDR_ENV selects, else env.ts's default. */
function drainSeconds(env: Record<string, string>): number {
  const explicit = env['WORKER_DRAIN_SECONDS'];
  if (explicit !== undefined) return Number(interpolateDefault(explicit));
  const ktrdrEnv = interpolateDefault(env['KTRDR_ENV'] ?? '');
  const yaml = ktrdrEnv ? loadWorkersYaml({ KTRDR_ENV: ktrdrEnv }, join(repoRoot, 'config')) : {};
  return Number(yaml['WORKER_DRAIN_SECONDS'] ?? envDefault('WORKER_DRAIN_SECONDS'));
}

/** A systemd unit as { key: [values...] } (section names dropped: our keys do not repeat across sections). */
function parseUnit(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const i = line.indexOf('=');
    assert.ok(i > 0, `bad unit line: ${line}`);
    const key = line.slice(0, i).trim();
    out.set(key, [...(out.get(key) ?? []), line.slice(i + 1).trim()]);
  }
  return out;
}

function one(unit: Map<string, string[]>, key: string): string {
  const v = unit.get(key);
  assert.ok(v && v.length === 1, `expected exactly one ${key}=, got ${JSON.stringify(v)}`);
  return v[0]!;
}

/** systemd's command-line splitting (quotes) and escapes for an instance: %i, %%, $$. */
function systemdArgv(line: string, instance: string): string[] {
  const expanded = line.replace(/%(.)/g, (_m, c: string) => {
    if (c === '%') return '%';
    if (c === 'i') return instance;
    throw new Error(`specifier %${c} not handled by this test`);
  });
  const argv: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (const m of expanded.matchAll(re)) argv.push((m[1] ?? m[2] ?? m[3]!).replace(/\$\$/g, '$'));
  return argv;
}

function envFile(rel: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of read(rel).split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    assert.ok(i > 0, `${rel}: bad line '${line}'`);
    out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Variable names in commented-out `#NAME=value` lines (examples an operator may enable). */
function commentedEnvNames(rel: string): string[] {
  return [...read(rel).matchAll(/^#\s?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
}

// ---------------------------------------------------------------------------------------------

describe('env.ts is readable by these checks', () => {
  it('finds the variables and defaults this test relies on', () => {
    assert.ok(ENV_NAMES.size >= 25, `only ${ENV_NAMES.size} names found in env.ts`);
    for (const n of ['KTRDR_API_URL', 'WORKER_DRAIN_SECONDS', 'KTRDR_ENV', 'LOG_LEVEL', 'WORKER_ENDPOINT_URL']) {
      assert.ok(ENV_NAMES.has(n), n);
    }
    assert.equal(CLI_PATH, 'dist/src/cli/main.js');
    assert.ok(FINAL_REPORT_SECONDS > 0 && FINAL_REPORT_SECONDS < 60, String(FINAL_REPORT_SECONDS));
  });
});

describe('CLI subcommands used by the deployment files', () => {
  it('the ktrdr program defines `backend` and `worker <type>` accepting exactly the contract worker types', () => {
    const program = buildProgram();
    const sub = (name: string) => program.commands.find((c) => c.name() === name);
    const backend = sub('backend');
    const worker = sub('worker');
    assert.ok(backend, 'no `ktrdr backend`');
    assert.ok(worker, 'no `ktrdr worker`');
    for (const c of [backend, worker]) assert.ok(c.options.some((o) => o.long === '--port'), `${c.name()} --port`);
    const typeArg = worker.registeredArguments[0];
    assert.ok(typeArg?.required, '`ktrdr worker` needs a required <type> argument');
    const parse = (v: string): unknown => (typeArg.parseArg ? typeArg.parseArg(v, undefined) : v);
    for (const type of WORKER_TYPES) assert.equal(parse(type), type);
    assert.throws(() => parse('definitely-not-a-type'));
  });

  it('the built CLI lists them in --help', { skip: !existsSync(join(repoRoot, CLI_PATH)) && 'dist not built' }, () => {
    const out = execFileSync(process.execPath, [join(repoRoot, CLI_PATH), '--help'], { encoding: 'utf8', timeout: 20_000 });
    assert.match(out, /^\s+backend\b/m);
    assert.match(out, /^\s+worker\b/m);
  });
});

/** `command` of a compose service or the args after the CLI entry: a valid ktrdr invocation. */
function assertKtrdrCommand(args: readonly string[], where: string): 'backend' | 'worker' {
  if (args[0] === 'backend') return 'backend';
  assert.equal(args[0], 'worker', `${where}: unknown ktrdr subcommand ${JSON.stringify(args)}`);
  assert.ok((WORKER_TYPES as readonly string[]).includes(args[1] ?? ''), `${where}: unknown worker type '${args[1]}'`);
  return 'worker';
}

const COMPOSE_FILES = ['docker/docker-compose.yml', 'docker/docker-compose.multihost.yml'] as const;

describe('compose files (both)', () => {
  for (const file of COMPOSE_FILES) {
    const { text, doc } = loadCompose(file);
    const header = /^(?:#[^\n]*\n|[ \t]*\n)*/.exec(text)![0]; // the leading comment block

    it(`${file}: every service requires KTRDR_API_TOKEN (\${KTRDR_API_TOKEN:?…}): the containers listen on the network`, () => {
      for (const [name, s] of Object.entries(doc.services)) {
        assert.match(serviceEnv(s)['KTRDR_API_TOKEN'] ?? '', /^\$\{KTRDR_API_TOKEN:\?[^}]+\}$/, `${name}: KTRDR_API_TOKEN must be required`);
      }
    });

    it(`${file}: builds docker/Dockerfile from the repository root`, () => {
      for (const [name, s] of Object.entries(doc.services)) {
        assert.ok(s.build, `${name}: no build`);
        const context = resolve(repoRoot, dirname(file), s.build.context);
        assert.equal(context, repoRoot, `${name}: build context is not the repository root`);
        assert.ok(existsSync(join(context, s.build.dockerfile)), `${name}: ${s.build.dockerfile} missing`);
        assert.equal(s.init, true, `${name}: init: true (signals to node, zombie reaping)`);
      }
    });

    it(`${file}: every command is a real ktrdr subcommand`, () => {
      for (const [name, s] of Object.entries(doc.services)) {
        assert.ok(Array.isArray(s.command), `${name}: command must be an exec-form list`);
        assertKtrdrCommand(s.command, `${file} ${name}`);
      }
    });

    it(`${file}: every container variable is read by src/config/env.ts`, () => {
      for (const [name, s] of Object.entries(doc.services)) {
        for (const key of Object.keys(serviceEnv(s))) {
          assert.ok(ENV_NAMES.has(key), `${file} ${name}: ${key} is not read by env.ts`);
        }
      }
    });

    it(`${file}: compose-level variables are ktrdr variables or documented in the header`, () => {
      for (const v of interpolationVars(text)) {
        if (ENV_NAMES.has(v)) continue;
        assert.ok(header.includes(v), `${file}: \${${v}} is neither a ktrdr variable nor listed in the header comment`);
      }
    });

    it(`${file}: every service has a health check using the image's script`, () => {
      assert.ok(existsSync(join(repoRoot, 'docker/healthcheck.mjs')));
      for (const [name, s] of Object.entries(doc.services)) {
        assert.ok(s.healthcheck && !s.healthcheck.disable, `${name}: no healthcheck`);
        assert.deepEqual(s.healthcheck.test, ['CMD', 'node', 'docker/healthcheck.mjs'], name);
      }
    });

    it(`${file}: workers get longer to stop than their drain plus the final report`, () => {
      for (const [name, s] of Object.entries(doc.services)) {
        if (assertKtrdrCommand(s.command ?? [], name) !== 'worker') continue;
        assert.ok(s.stop_grace_period, `${name}: no stop_grace_period (docker's default is 10 s)`);
        const drain = drainSeconds(serviceEnv(s));
        assert.ok(
          durationSeconds(s.stop_grace_period) > drain + FINAL_REPORT_SECONDS,
          `${name}: stop_grace_period ${s.stop_grace_period} <= drain ${drain} s + ${FINAL_REPORT_SECONDS} s`,
        );
      }
    });

    it(`${file}: workers know the backend, keep models and data on volumes, and KTRDR_ENV selects an existing YAML`, () => {
      for (const [name, s] of Object.entries(doc.services)) {
        const env = serviceEnv(s);
        const ktrdrEnv = interpolateDefault(env['KTRDR_ENV'] ?? '');
        assert.ok(ktrdrEnv, `${name}: KTRDR_ENV has no default`);
        assert.ok(existsSync(join(repoRoot, 'config', `workers.${ktrdrEnv}.yaml`)), `${name}: workers.${ktrdrEnv}.yaml missing`);
        assert.equal(env['KTRDR_CONFIG_DIR'], '/app/config', name);
        const m = mounts(s);
        assert.ok(m.has(env['KTRDR_MODELS_DIR'] ?? '?'), `${name}: KTRDR_MODELS_DIR is not a mounted volume`);
        assert.ok(m.has(env['KTRDR_DATA_DIR'] ?? '?'), `${name}: KTRDR_DATA_DIR is not a mounted volume`);
        if (assertKtrdrCommand(s.command ?? [], name) === 'worker') {
          assert.ok(env['KTRDR_API_URL'], `${name}: KTRDR_API_URL missing`);
          // The worker loads its config from these values (KTRDR_API_URL must be a URL).
          const sample = Object.fromEntries(
            Object.entries(env).map(([k, v]) => [k, interpolateDefault(v.replace(/\$\{(\w+):\?[^}]*\}/g, 'example'))]),
          );
          const cfg = loadWorkerConfig(s.command![1]!, { ...sample, KTRDR_CONFIG_DIR: join(repoRoot, 'config') });
          assert.equal(cfg.modelsDir, '/app/models');
        }
      }
    });
  }
});

describe('docker/docker-compose.yml (single host)', () => {
  const { doc } = loadCompose('docker/docker-compose.yml');
  const services = doc.services;

  it('has a backend and scalable workers of each type', () => {
    assert.deepEqual(services['backend']?.command, ['backend']);
    const workerTypes = Object.values(services)
      .filter((s) => s.command?.[0] === 'worker')
      .map((s) => s.command![1]);
    assert.deepEqual([...workerTypes].sort(), [...WORKER_TYPES].sort());
  });

  it('workers have no container_name, no published ports and no per-replica identity', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.command?.[0] !== 'worker') continue;
      assert.equal(s.container_name, undefined, `${name}: container_name prevents --scale`);
      assert.equal(s.ports, undefined, `${name}: fixed host ports prevent --scale`);
      const env = serviceEnv(s);
      assert.equal(env['WORKER_ID'], undefined, `${name}: a fixed WORKER_ID would be shared by all replicas`);
      assert.equal(env['WORKER_ENDPOINT_URL'], undefined, `${name}: a fixed endpoint would be shared by all replicas`);
    }
  });

  it('workers reach the backend by its service name on its container port, which is published', () => {
    const backend = services['backend']!;
    const benv = serviceEnv(backend);
    const apiPort = Number(benv['KTRDR_API_PORT'] ?? envDefault('KTRDR_API_PORT'));
    assert.ok(
      (backend.ports ?? []).some((p) => typeof p === 'string' && p.endsWith(`:${apiPort}`)),
      `backend port ${apiPort} not published`,
    );
    for (const [name, s] of Object.entries(services)) {
      if (s.command?.[0] !== 'worker') continue;
      assert.equal(serviceEnv(s)['KTRDR_API_URL'], `http://backend:${apiPort}`, name);
    }
  });

  it('training and backtest workers share the models volume with the backend; the database is on a volume', () => {
    const modelSources = new Set<string>();
    for (const [name, s] of Object.entries(services)) {
      const src = mounts(s).get(serviceEnv(s)['KTRDR_MODELS_DIR']!);
      assert.ok(src && doc.volumes && src in doc.volumes, `${name}: models must be a named volume`);
      modelSources.add(src);
    }
    assert.equal(modelSources.size, 1, `models volumes differ: ${[...modelSources].join(', ')}`);
    // The backend sends workers the model's absolute path: the directory must be the same path everywhere.
    const modelDirs = new Set(Object.values(services).map((s) => serviceEnv(s)['KTRDR_MODELS_DIR']));
    assert.equal(modelDirs.size, 1, `KTRDR_MODELS_DIR differs between services: ${[...modelDirs].join(', ')}`);
    // Workers load strategies by name from their own directory: all must see the same files.
    const strategySources = new Set(Object.values(services).map((s) => mounts(s).get(serviceEnv(s)['KTRDR_STRATEGIES_DIR']!) ?? 'image'));
    assert.equal(strategySources.size, 1, `strategies differ: ${[...strategySources].join(', ')}`);
    const backend = services['backend']!;
    const dbPath = serviceEnv(backend)['KTRDR_DB_PATH']!;
    const dbDir = dirname(dbPath);
    assert.ok(mounts(backend).has(dbDir), `backend: ${dbDir} (KTRDR_DB_PATH) is not a volume`);
    assert.equal(loadBackendConfig({ KTRDR_DB_PATH: dbPath }).dbPath, dbPath);
  });
});

describe('docker/docker-compose.multihost.yml (remote workers)', () => {
  const { doc } = loadCompose('docker/docker-compose.multihost.yml');
  const example = envFile('docker/multihost.env.example');

  it('runs only workers, each with a fixed port advertised in WORKER_ENDPOINT_URL', () => {
    const ports = new Set<number>();
    const ids = new Set<string>();
    for (const [name, s] of Object.entries(doc.services)) {
      assert.equal(assertKtrdrCommand(s.command ?? [], name), 'worker', `${name}: the backend runs elsewhere`);
      const env = serviceEnv(s);
      const port = Number(env['WORKER_PORT']);
      assert.ok(Number.isInteger(port) && port > 0, `${name}: WORKER_PORT must be fixed`);
      assert.deepEqual(s.ports, [`${port}:${port}`], `${name}: publish WORKER_PORT on the same host port`);
      const endpoint = new URL(env['WORKER_ENDPOINT_URL']!.replace(/\$\{[^}]*\}/g, 'host'));
      assert.equal(Number(endpoint.port), port, `${name}: WORKER_ENDPOINT_URL port`);
      assert.ok(!ports.has(port), `${name}: port ${port} used twice`);
      ports.add(port);
      assert.ok(env['WORKER_ID'], `${name}: WORKER_ID`);
      assert.ok(!ids.has(env['WORKER_ID']), `${name}: WORKER_ID used twice`);
      ids.add(env['WORKER_ID']);
      assert.doesNotMatch(env['KTRDR_API_URL']!, /\/\/backend[:/]/, `${name}: 'backend' does not resolve on another machine`);
    }
  });

  it('every required variable has a value in docker/multihost.env.example', () => {
    const required = [...read('docker/docker-compose.multihost.yml').matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]!);
    assert.ok(required.includes('BACKEND_ADDR'));
    for (const v of required) assert.ok(example[v], `${v} missing from multihost.env.example`);
  });

  it('shares no storage: models and data are local volumes of this machine (workers fetch from the backend)', () => {
    for (const [name, s] of Object.entries(doc.services)) {
      const m = mounts(s);
      assert.deepEqual([...m.keys()].sort(), ['/app/data', '/app/models'], name);
      for (const source of m.values()) assert.ok(doc.volumes && source in doc.volumes, `${name}: ${source} is a named volume of this file`);
    }
    for (const [v, vol] of Object.entries(doc.volumes ?? {})) {
      assert.ok(vol === null || (vol.driver_opts === undefined && (vol.driver ?? 'local') === 'local'), `${v}: a local volume, not a network mount`);
    }
    assert.ok(!existsSync(join(repoRoot, 'docker/docker-compose.nfs.yml')), 'the NFS override is gone: nothing needs a shared mount');
    assert.doesNotMatch(read('docker/multihost.env.example'), /NFS/);
  });
});

// ---------------------------------------------------------------------------------------------

interface DockerStage {
  from: string;
  name: string | undefined;
  instructions: { op: string; args: string }[];
}

function parseDockerfile(text: string): DockerStage[] {
  const logical = text.replace(/\\\r?\n/g, ' ').split('\n');
  const stages: DockerStage[] = [];
  for (const raw of logical) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(line);
    assert.ok(m, `bad Dockerfile line: ${line}`);
    const op = m[1]!.toUpperCase();
    const args = m[2]!.replace(/\s+/g, ' ');
    if (op === 'FROM') {
      const f = /^(\S+)(?: AS (\S+))?$/i.exec(args);
      assert.ok(f, `bad FROM: ${args}`);
      stages.push({ from: f[1]!, name: f[2], instructions: [] });
    } else {
      assert.ok(stages.length > 0, `${op} before FROM`);
      stages.at(-1)!.instructions.push({ op, args });
    }
  }
  return stages;
}

describe('docker/Dockerfile', () => {
  const stages = parseDockerfile(read('docker/Dockerfile'));
  const final = stages.at(-1)!;
  const ops = (stage: DockerStage, op: string) => stage.instructions.filter((i) => i.op === op).map((i) => i.args);
  const last = (op: string) => ops(final, op).at(-1);

  it('builds in a node:20-slim stage with a compiler and drops dev dependencies', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    const build = stages[0]!;
    assert.equal(build.from, 'node:20-slim');
    const runs = ops(build, 'RUN').join(' && ');
    for (const tool of ['python3', 'make', 'g++']) assert.match(runs, new RegExp(`apt-get install[^&]*\\b${tool.replaceAll('+', '\\+')}`));
    const order = ['npm ci', 'npm run build', 'npm prune --omit=dev'].map((c) => runs.indexOf(c));
    assert.ok(order.every((i) => i >= 0), `missing npm step: ${runs}`);
    assert.deepEqual([...order].sort((a, b) => a - b), order, 'npm ci, build, prune in that order');
  });

  it('runs as non-root in a node:20-slim final stage', () => {
    assert.equal(final.from, 'node:20-slim');
    const user = last('USER');
    assert.ok(user && !/^(root|0)(:|$)/.test(user), `final USER is ${user}`);
    assert.ok(ops(final, 'RUN').every((r) => !/apt-get install/.test(r)), 'no compilers in the runtime image');
  });

  it('ENTRYPOINT runs the package bin with node; CMD is the backend', () => {
    assert.deepEqual(JSON.parse(last('ENTRYPOINT') ?? 'null'), ['node', CLI_PATH]);
    const cmd = JSON.parse(last('CMD') ?? 'null') as string[];
    assert.deepEqual(cmd, ['backend']);
    assertKtrdrCommand(cmd, 'Dockerfile CMD');
    assert.equal(last('WORKDIR'), '/app');
  });

  it('copies the build output and the files the processes need from the right places', () => {
    const copies = ops(final, 'COPY');
    const fromBuild = copies.filter((c) => c.includes(`--from=${stages[0]!.name}`)).join(' ');
    for (const p of ['/app/dist', '/app/node_modules', '/app/package.json']) assert.ok(fromBuild.includes(p), p);
    const ignore = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const c of copies.filter((x) => !x.includes('--from='))) {
      const parts = c.split(' ').filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        const top = src.split('/')[0]!;
        assert.ok(!ignore.includes(top) && !ignore.includes(src), `${src} is excluded by .dockerignore`);
        if (src.includes('*')) {
          const dir = dirname(src);
          const re = new RegExp(`^${src.slice(dir.length + 1).replace('.', '\\.').replace('*', '.*')}$`);
          assert.ok(readdirSync(join(repoRoot, dir)).some((f) => re.test(f)), `${src} matches nothing`);
        } else assert.ok(existsSync(join(repoRoot, src)), `${src} does not exist`);
      }
    }
    for (const needed of ['strategies', 'config', 'docker/healthcheck.mjs']) {
      assert.ok(copies.some((c) => c.split(' ').includes(needed)), `${needed} not copied`);
    }
  });

  it('has a node-based HEALTHCHECK and .dockerignore keeps local state out', () => {
    assert.match(last('HEALTHCHECK') ?? '', /CMD \["node", "docker\/healthcheck\.mjs"\]/);
    const ignore = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const p of ['**/node_modules', 'dist', '.git', 'models', 'data/*.db']) assert.ok(ignore.includes(p), p);
  });
});

// ---------------------------------------------------------------------------------------------

describe('systemd units and env examples', () => {
  const backend = parseUnit(read('deploy/systemd/ktrdr-backend.service'));
  const worker = parseUnit(read('deploy/systemd/ktrdr-worker@.service'));
  const exampleDir = join(repoRoot, 'deploy/systemd');
  const examples = readdirSync(exampleDir).filter((f) => f.endsWith('.env.example'));
  const workerInstances = examples
    .map((f) => f.replace(/\.env\.example$/, ''))
    .filter((i) => i !== 'backend' && i !== 'common');

  it('both units: non-root, /opt/ktrdr, SIGTERM, restart on failure', () => {
    for (const unit of [backend, worker]) {
      assert.equal(one(unit, 'User'), 'ktrdr');
      assert.equal(one(unit, 'WorkingDirectory'), '/opt/ktrdr');
      assert.equal(one(unit, 'KillSignal'), 'SIGTERM');
      assert.equal(one(unit, 'Restart'), 'on-failure');
    }
  });

  it('backend ExecStart runs the built CLI with `backend`', () => {
    const argv = systemdArgv(one(backend, 'ExecStart'), 'unused');
    assert.equal(argv[0], '/usr/bin/node');
    assert.equal(argv[1], `/opt/ktrdr/${CLI_PATH}`);
    assertKtrdrCommand(argv.slice(2), 'ktrdr-backend.service');
    assert.ok(backend.get('EnvironmentFile')!.includes('/etc/ktrdr/backend.env'));
  });

  it('worker ExecStart turns each example instance name into `worker <type>`', () => {
    assert.ok(worker.get('EnvironmentFile')!.includes('/etc/ktrdr/%i.env'));
    assert.ok(workerInstances.length >= 2, 'need worker env examples');
    for (const instance of workerInstances) {
      const [sh, dashC, script, ...rest] = systemdArgv(one(worker, 'ExecStart'), instance);
      assert.equal(sh, '/bin/sh');
      assert.equal(dashC, '-c');
      const prefix = 'exec /usr/bin/node ';
      assert.ok(script!.startsWith(prefix), script);
      // Run the real shell expansion, printing the argv node would get.
      const out = execFileSync('/bin/sh', ['-c', `exec printf '%s\\n' ${script!.slice(prefix.length)}`, ...rest], {
        encoding: 'utf8',
      });
      const args = out.trimEnd().split('\n');
      assert.equal(args[0], `/opt/ktrdr/${CLI_PATH}`, instance);
      assert.equal(assertKtrdrCommand(args.slice(1), instance), 'worker');
      assert.equal(args.length, 3, `${instance}: ${JSON.stringify(args)}`);
      assert.equal(args[2], instance.split('-')[0]);
    }
  });

  it('common.env.example ships a token placeholder that must be set: the loaders refuse it', () => {
    const common = envFile('deploy/systemd/common.env.example');
    assert.equal(common['KTRDR_API_TOKEN'], TOKEN_PLACEHOLDER);
    const backend = envFile('deploy/systemd/backend.env.example');
    assert.throws(() => loadBackendConfig({ ...common, ...backend, KTRDR_CONFIG_DIR: join(repoRoot, 'config') }), /placeholder/);
    // And without any token, the examples' 0.0.0.0 is refused too.
    assert.throws(() => loadBackendConfig({ ...common, ...backend, KTRDR_API_TOKEN: '', KTRDR_CONFIG_DIR: join(repoRoot, 'config') }), /--insecure/);
  });

  it('TimeoutStopSec exceeds every worker example drain plus the final report', () => {
    const stop = Number(one(worker, 'TimeoutStopSec'));
    for (const instance of workerInstances) {
      const drain = Number(envFile(`deploy/systemd/${instance}.env.example`)['WORKER_DRAIN_SECONDS'] ?? envDefault('WORKER_DRAIN_SECONDS'));
      assert.ok(stop > drain + FINAL_REPORT_SECONDS, `${instance}: TimeoutStopSec=${stop} <= ${drain} + ${FINAL_REPORT_SECONDS}`);
    }
  });

  it('env examples use only variables env.ts reads (set or commented out), with sane values', () => {
    const hostPorts = new Map<number, string>();
    for (const f of examples) {
      const rel = `deploy/systemd/${f}`;
      const vars = envFile(rel);
      for (const k of [...Object.keys(vars), ...commentedEnvNames(rel)]) assert.ok(ENV_NAMES.has(k), `${f}: ${k}`);
      const instance = f.replace(/\.env\.example$/, '');
      // The shipped token is a placeholder that must be replaced; the loaders refuse it as is.
      const common = { ...envFile('deploy/systemd/common.env.example'), KTRDR_API_TOKEN: 'a-real-secret' };
      if (instance === 'backend' || instance === 'common') {
        // The backend config loads with these values (no ConfigError).
        loadBackendConfig({ ...common, ...vars, KTRDR_API_TOKEN: 'a-real-secret', KTRDR_CONFIG_DIR: join(repoRoot, 'config'), KTRDR_ENV: 'prod' });
        continue;
      }
      const type = instance.split('-')[0]!;
      const cfg = loadWorkerConfig(type, { ...common, ...vars, KTRDR_CONFIG_DIR: join(repoRoot, 'config') });
      assert.ok(vars['KTRDR_API_URL'], `${f}: KTRDR_API_URL`);
      // Examples that share the local backend URL are meant for one host: ports must differ.
      if (vars['KTRDR_API_URL']!.includes('127.0.0.1')) {
        assert.ok(!hostPorts.has(cfg.port), `${f}: port ${cfg.port} also used by ${hostPorts.get(cfg.port)}`);
        hostPorts.set(cfg.port, f);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('config/workers.{dev,prod}.yaml', () => {
  const configDir = join(repoRoot, 'config');

  it('only use keys env.ts reads', () => {
    for (const name of ['dev', 'prod']) {
      const keys = Object.keys(loadWorkersYaml({ KTRDR_ENV: name }, configDir));
      assert.ok(keys.length >= 4, name);
      for (const k of keys) assert.ok(ENV_NAMES.has(k), `workers.${name}.yaml: ${k}`);
    }
  });

  it('prod has the documented timings (10 s / 5 s / 3 / 300 s); dev is short (2 s / 2 s / 2 / 30 s)', () => {
    const prod = loadBackendConfig({ KTRDR_ENV: 'prod', KTRDR_CONFIG_DIR: configDir });
    assert.deepEqual(
      [prod.healthCheckIntervalMs, prod.healthCheckTimeoutMs, prod.healthCheckFailureThreshold, prod.workerRemovalThresholdMs],
      [10_000, 5_000, 3, 300_000],
    );
    const dev = loadBackendConfig({ KTRDR_ENV: 'dev', KTRDR_CONFIG_DIR: configDir });
    assert.deepEqual(
      [dev.healthCheckIntervalMs, dev.healthCheckTimeoutMs, dev.healthCheckFailureThreshold, dev.workerRemovalThresholdMs],
      [2_000, 2_000, 2, 30_000],
    );
  });

  it('each profile is consistent: probe timeout <= interval; workers re-register only after several missed probes', () => {
    for (const name of ['dev', 'prod']) {
      const env = { KTRDR_ENV: name, KTRDR_CONFIG_DIR: configDir, KTRDR_API_URL: 'http://127.0.0.1:8000' };
      const b = loadBackendConfig(env);
      const w = loadWorkerConfig('backtesting', env);
      assert.ok(b.healthCheckTimeoutMs <= b.healthCheckIntervalMs, name);
      assert.ok(w.healthSilenceMs >= 3 * b.healthCheckIntervalMs, `${name}: health silence vs probe interval`);
      assert.ok(
        b.workerRemovalThresholdMs > b.healthCheckIntervalMs * b.healthCheckFailureThreshold,
        `${name}: removal before the worker is even marked unavailable`,
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------

interface HealthcheckModule {
  healthUrl(args: string[], env: Record<string, string | undefined>): string;
  probe(url: string, timeoutMs?: number): Promise<string | undefined>;
  findKtrdrArgs(procDir?: string): string[] | undefined;
}

describe('docker/healthcheck.mjs', () => {
  const script = join(repoRoot, 'docker/healthcheck.mjs');
  let hc: HealthcheckModule;
  let server: Server;
  let base = '';
  let tmp = '';

  before(async () => {
    hc = (await import(pathToFileURL(script).href)) as HealthcheckModule;
    server = createServer((req, res) => {
      const body: Record<string, string> = {
        '/health': JSON.stringify({ healthy: true, service: 'x' }),
        '/sick': JSON.stringify({ healthy: false }),
      };
      if (req.url === '/down') {
        res.writeHead(503).end('{}');
        return;
      }
      res.writeHead(body[req.url ?? ''] ? 200 : 404, { 'content-type': 'application/json' }).end(body[req.url ?? ''] ?? '{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    tmp = mkdtempSync(join(tmpdir(), 'ktrdr-hc-'));
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(tmp, { recursive: true, force: true });
  });

  it('targets the same ports as env.ts', () => {
    assert.equal(hc.healthUrl(['backend'], {}), `http://127.0.0.1:${envDefault('KTRDR_API_PORT')}/health`);
    assert.equal(hc.healthUrl(['backend'], { KTRDR_API_PORT: '9100' }), 'http://127.0.0.1:9100/health');
    assert.equal(hc.healthUrl(['backend', '--port', '9200'], { KTRDR_API_PORT: '9100' }), 'http://127.0.0.1:9200/health');
    for (const type of WORKER_TYPES) {
      assert.equal(hc.healthUrl(['worker', type], {}), `http://127.0.0.1:${DEFAULT_WORKER_PORTS[type]}/health`);
    }
    assert.equal(hc.healthUrl(['worker', 'training'], { WORKER_PORT: '6001' }), 'http://127.0.0.1:6001/health');
    assert.equal(hc.healthUrl(['worker', 'training', '--port=6002'], { WORKER_PORT: '6001' }), 'http://127.0.0.1:6002/health');
    assert.equal(hc.healthUrl(['worker', 'training'], { WORKER_HOST: '10.1.2.3' }), 'http://10.1.2.3:5004/health');
    assert.equal(hc.healthUrl(['backend'], { KTRDR_API_HOST: '0.0.0.0' }), 'http://127.0.0.1:8000/health');
  });

  it('finds the ktrdr process among others in /proc', () => {
    const proc = join(tmp, 'proc');
    const write = (pid: string, argv: string[]) => {
      mkdirSync(join(proc, pid), { recursive: true });
      writeFileSync(join(proc, pid, 'cmdline'), argv.join('\0') + '\0');
    };
    write('1', ['/sbin/docker-init', '--', 'node', 'dist/src/cli/main.js', 'worker', 'training']);
    write('7', ['node', 'dist/src/cli/main.js', 'worker', 'training', '--port', '5010']);
    mkdirSync(join(proc, 'self'), { recursive: true });
    // docker-init's own argv mentions the entry too, and comes first: it still yields the same args.
    assert.deepEqual(hc.findKtrdrArgs(proc), ['worker', 'training']);
    rmSync(join(proc, '1'), { recursive: true });
    assert.deepEqual(hc.findKtrdrArgs(proc), ['worker', 'training', '--port', '5010']);
    assert.equal(hc.findKtrdrArgs(join(tmp, 'nope')), undefined);
  });

  it('probes: healthy only for 200 with healthy=true', async () => {
    assert.equal(await hc.probe(`${base}/health`), undefined);
    assert.match((await hc.probe(`${base}/sick`)) ?? '', /healthy=false/);
    assert.match((await hc.probe(`${base}/down`)) ?? '', /HTTP 503/);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    assert.match((await hc.probe(`http://127.0.0.1:${port}/health`, 2000)) ?? '', /unreachable/);
  });

  it('as a command, exits 0 when healthy and 1 otherwise', async () => {
    const exitCode = (path: string) =>
      new Promise<number | null>((r) => {
        const child = spawn(process.execPath, [script, '--url', `${base}${path}`], { stdio: 'ignore' });
        child.on('exit', (code) => r(code));
      });
    assert.equal(await exitCode('/health'), 0);
    assert.equal(await exitCode('/sick'), 1);
    assert.equal(await exitCode('/down'), 1);
  });
});

// ---------------------------------------------------------------------------------------------

describe('docs', () => {
  const docs = ['docs/user-guide.md', 'docs/deployment.md', 'deploy/systemd/README.md'];

  it('the user guide documents every variable env.ts reads', () => {
    const guide = read('docs/user-guide.md');
    for (const name of ENV_NAMES) assert.ok(guide.includes(`\`${name}\``), `docs/user-guide.md does not mention ${name}`);
  });

  it('name only environment variables that env.ts reads', () => {
    const prefixes = /\b((?:KTRDR|WORKER|HEALTH_CHECK|ORPHAN|OPERATIONS|DISPATCH)_[A-Z0-9_]+)\b/g;
    const composeOnly = new Set(['KTRDR_IMAGE']);
    for (const d of docs) {
      for (const m of read(d).matchAll(prefixes)) {
        const name = m[1]!;
        assert.ok(ENV_NAMES.has(name) || composeOnly.has(name), `${d}: ${name} is not a ktrdr variable`);
      }
    }
  });

  it('`npm run` scripts and `ktrdr` commands they show exist', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const program = buildProgram();
    const find = (cmds: readonly Command[], name: string) => cmds.find((c) => c.name() === name || c.aliases().includes(name));
    for (const d of docs) {
      const text = read(d);
      for (const m of text.matchAll(/\bnpm run ([\w:-]+)/g)) assert.ok(scripts[m[1]!], `${d}: npm run ${m[1]} (no such script)`);
      const fenced = [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].flatMap((b) => b[1]!.split('\n'));
      const inline = [...text.matchAll(/`([^`\n]+)`/g)].map((x) => x[1]!);
      const invocations = [...fenced, ...inline]
        .map((line) => /^\s*(?:[A-Z_]+=\S*\s+)*ktrdr\s+([a-z][\w-]*)(?:\s+([a-z][\w-]*))?/.exec(line))
        .filter((x) => x !== null);
      assert.ok(d !== 'docs/user-guide.md' || invocations.length >= 10, `${d}: expected ktrdr examples`);
      for (const [line, top, sub] of invocations) {
        const cmd = find(program.commands, top!);
        assert.ok(cmd, `${d}: \`${line.trim()}\`: no command '${top}'`);
        if (cmd.commands.length > 0 && sub !== undefined) {
          assert.ok(find(cmd.commands, sub), `${d}: \`${line.trim()}\`: '${top}' has no subcommand '${sub}'`);
        }
      }
    }
  });

  it('jq recipes use the API shapes: bare worker array, operations under .data', () => {
    for (const d of docs) {
      const text = read(d);
      assert.doesNotMatch(text, /\.operations\[|\.workers\[/, `${d}: the seeds' old response shapes`);
      for (const m of text.matchAll(/curl[^\n]*\/api\/v1\/operations[^\n|]*\|\s*jq\s+'([^']*)'/g)) {
        assert.match(m[1]!, /^\.(data|total_count|active_count|success)\b|^\{/, `${d}: ${m[0]}`);
      }
    }
  });
});
