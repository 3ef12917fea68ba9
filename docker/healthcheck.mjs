#!/usr/bin/env node
// Container health check for the ktrdr image (backend and workers alike): exits 0 when the
// local ktrdr process answers GET /health with {"healthy": true}, 1 otherwise.
//
// It finds the ktrdr process in /proc (PID 1 without `--init`, a child of docker-init with it),
// reads its subcommand and `--port`, and falls back to the same environment variables and
// defaults as src/config/env.ts: KTRDR_API_PORT (8000) for the backend; WORKER_PORT, else
// 5003 (backtesting) / 5004 (training) / 5005 for a worker. A port set only in
// config/workers.{KTRDR_ENV}.yaml is not seen here: pass --port or set the variable instead.
//
// Usage: node docker/healthcheck.mjs [--url http://127.0.0.1:8000/health]
import { readFileSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const CLI_ENTRY = 'dist/src/cli/main.js';
const DEFAULT_WORKER_PORTS = { backtesting: 5003, training: 5004 };
const OTHER_WORKER_PORT = 5005;
const BACKEND_PORT = 8000;

/** The argv (after the CLI entry) of the first process running the ktrdr CLI, or undefined. */
export function findKtrdrArgs(procDir = '/proc') {
  let entries;
  try {
    entries = readdirSync(procDir).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b));
  } catch {
    return undefined;
  }
  for (const pid of entries) {
    if (Number(pid) === process.pid) continue;
    let argv;
    try {
      argv = readFileSync(`${procDir}/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    } catch {
      continue;
    }
    const at = argv.findIndex((a) => a.endsWith(CLI_ENTRY));
    if (at >= 0) return argv.slice(at + 1);
  }
  return undefined;
}

function flag(args, name) {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === name) return args[i + 1];
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  }
  return undefined;
}

function nonEmpty(v) {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/**
 * The /health URL to probe for a ktrdr process started with `args` (its argv after the CLI
 * entry, e.g. ['worker', 'training', '--port', '5010']) under environment `env`.
 */
export function healthUrl(args, env) {
  const [command, workerType] = args;
  let port;
  let host;
  if (command === 'worker') {
    port = flag(args, '--port') ?? nonEmpty(env.WORKER_PORT) ?? DEFAULT_WORKER_PORTS[workerType] ?? OTHER_WORKER_PORT;
    host = flag(args, '--host') ?? nonEmpty(env.WORKER_HOST);
  } else {
    port = flag(args, '--port') ?? nonEmpty(env.KTRDR_API_PORT) ?? BACKEND_PORT;
    host = flag(args, '--host') ?? nonEmpty(env.KTRDR_API_HOST);
  }
  // A wildcard bind (the default) is reachable on loopback.
  if (host === undefined || host === '0.0.0.0' || host === '::' || host === '[::]') host = '127.0.0.1';
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  return `http://${host}:${port}/health`;
}

/** Probes `url`; resolves to an error message, or undefined when healthy. */
export async function probe(url, timeoutMs = 4000) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return `${url} answered HTTP ${res.status}`;
    const body = await res.json();
    if (body?.healthy !== true) return `${url} reports healthy=${JSON.stringify(body?.healthy)}`;
    return undefined;
  } catch (err) {
    return `${url} unreachable: ${err instanceof Error ? err.message : String(err)}`;
  }
}

async function main() {
  const explicit = flag(process.argv.slice(2), '--url');
  const args = findKtrdrArgs() ?? ['backend'];
  const url = explicit ?? healthUrl(args, process.env);
  const problem = await probe(url);
  if (problem) {
    process.stderr.write(`unhealthy: ${problem}\n`);
    process.exit(1);
  }
  process.stdout.write(`healthy: ${url}\n`);
  process.exit(0);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
