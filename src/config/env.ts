/**
 * The only place that reads `process.env` and `config/workers.{KTRDR_ENV}.yaml`.
 * Composition roots (src/bin) call these loaders and turn the result into component options.
 * Precedence: explicit overrides (CLI flags) > environment variables > YAML file > defaults.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function num(env: Env, name: string, fallback: number, opts: { min?: number; integer?: boolean } = {}): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    const what = opts.integer ? 'an integer' : 'a number';
    throw new ConfigError(`${name}=${raw}: must be ${what}${opts.min !== undefined ? ` >= ${opts.min}` : ''}`);
  }
  return n;
}

function bool(env: Env, name: string): boolean | undefined {
  const raw = str(env, name)?.toLowerCase();
  if (raw === undefined) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name}=${raw}: must be true or false`);
}

function logLevel(env: Env): LogLevel {
  const raw = (str(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError(`LOG_LEVEL=${raw}: must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return raw as LogLevel;
}

function url(env: Env, name: string): string | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name}=${raw}: not a URL (expected e.g. http://localhost:8000)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`${name}=${raw}: must be an http:// or https:// URL`);
  }
  return raw.replace(/\/+$/, '');
}

/** The placeholder the deployment examples ship with; refused so that nobody runs with it. */
export const TOKEN_PLACEHOLDER = 'change-me';

/** KTRDR_API_TOKEN, else the first line of the file KTRDR_API_TOKEN_FILE names (docker/systemd secrets). */
function apiToken(env: Env): string | undefined {
  let token = str(env, 'KTRDR_API_TOKEN');
  const file = str(env, 'KTRDR_API_TOKEN_FILE');
  if (token === undefined && file !== undefined) {
    try {
      token = readFileSync(file, 'utf8').split('\n')[0]!.trim() || undefined;
    } catch (err) {
      throw new ConfigError(`KTRDR_API_TOKEN_FILE=${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (token === undefined) throw new ConfigError(`KTRDR_API_TOKEN_FILE=${file}: the file is empty`);
  }
  if (token === TOKEN_PLACEHOLDER) {
    throw new ConfigError(`KTRDR_API_TOKEN is still the placeholder '${TOKEN_PLACEHOLDER}': set a secret, e.g. openssl rand -hex 32`);
  }
  return token;
}

/** True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Secure by default (like Redis's protected mode): a server without a token listens on loopback
 * only. Binding another address without a token needs an explicit `--insecure`/KTRDR_INSECURE.
 */
function checkBind(what: string, hostVar: string, c: { host: string; apiToken: string | undefined; insecure: boolean }): void {
  if (c.apiToken !== undefined || c.insecure || isLoopbackHost(c.host)) return;
  throw new ConfigError(
    `refusing to run the ${what} on ${c.host} without KTRDR_API_TOKEN: anyone who can reach it could control the cluster. ` +
      `Set KTRDR_API_TOKEN (or KTRDR_API_TOKEN_FILE), bind 127.0.0.1 (${hostVar}), or pass --insecure (KTRDR_INSECURE=true) on a network you trust.`,
  );
}

/** The one warning line a server logs when it listens on the network without a token; undefined when it does not. */
export function insecureWarning(c: { host: string; port: number; apiToken: string | undefined }): string | undefined {
  if (c.apiToken !== undefined || isLoopbackHost(c.host)) return undefined;
  return `INSECURE: listening on ${c.host}:${c.port} without KTRDR_API_TOKEN; anyone who can reach this port can register workers, start and cancel operations`;
}

/** Health-check timings; YAML keys are the env var names in lowercase. */
export interface HealthTimings {
  healthCheckIntervalMs: number;
  healthCheckTimeoutMs: number;
  healthCheckFailureThreshold: number;
  workerRemovalThresholdMs: number;
}

const healthKeys = {
  HEALTH_CHECK_INTERVAL_SECONDS: 10,
  HEALTH_CHECK_TIMEOUT_SECONDS: 5,
  HEALTH_CHECK_FAILURE_THRESHOLD: 3,
  WORKER_REMOVAL_THRESHOLD_SECONDS: 300,
} as const;

/** Reads `{configDir}/workers.{KTRDR_ENV}.yaml` (flat keys, env var names in lower or upper case). */
export function loadWorkersYaml(env: Env, configDir: string): Record<string, string> {
  const name = str(env, 'KTRDR_ENV');
  if (name === undefined) return {};
  if (!/^[a-z0-9_-]+$/i.test(name)) throw new ConfigError(`KTRDR_ENV=${name}: only letters, digits, - and _`);
  const file = join(configDir, `workers.${name}.yaml`);
  if (!existsSync(file)) throw new ConfigError(`KTRDR_ENV=${name}: config file ${file} not found`);
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${file}: invalid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`${file}: expected a mapping of settings`);
  const out: Record<string, string> = {};
  const flatten = (obj: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(obj)) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>);
      else out[k.toUpperCase()] = String(v);
    }
  };
  flatten(doc as Record<string, unknown>);
  return out;
}

function withYaml(env: Env): Env {
  const configDir = resolve(str(env, 'KTRDR_CONFIG_DIR') ?? 'config');
  const fromYaml = loadWorkersYaml(env, configDir);
  const merged: Record<string, string | undefined> = { ...fromYaml };
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v.trim() !== '') merged[k] = v;
  return merged;
}

export interface BackendConfig extends HealthTimings {
  host: string;
  port: number;
  dbPath: string;
  /** Files of result artifacts' binary fields (equity curves). @defaultValue `results` next to the database */
  resultsDir: string;
  dataDir: string;
  modelsDir: string;
  strategiesDir: string;
  logLevel: LogLevel;
  apiToken: string | undefined;
  /** Listen on a non-loopback host without a token (`--insecure`, KTRDR_INSECURE). */
  insecure: boolean;
  operationsCacheTtlMs: number;
  orphanTimeoutMs: number;
  workerRequestTimeoutMs: number;
  workerStartTimeoutMs: number;
  maxDispatchAttempts: number;
  maxQueued: number;
  /** `s3://bucket/prefix`: keep model bundles in an S3-compatible bucket instead of modelsDir (KTRDR_MODEL_STORE). */
  modelStore: string | undefined;
  /** Endpoint of an S3-compatible server, e.g. MinIO (KTRDR_S3_ENDPOINT); AWS when unset. */
  s3Endpoint: string | undefined;
  /** AWS_REGION. @defaultValue 'us-east-1' */
  s3Region: string;
}

function modelStoreUrl(env: Env): string | undefined {
  const raw = str(env, 'KTRDR_MODEL_STORE');
  if (raw === undefined) return undefined;
  if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(raw)) {
    throw new ConfigError(`KTRDR_MODEL_STORE=${raw}: expected s3://bucket or s3://bucket/prefix`);
  }
  return raw;
}

export function loadBackendConfig(rawEnv: Env = process.env, overrides: Partial<BackendConfig> = {}): BackendConfig {
  const env = withYaml(rawEnv);
  const dataDir = resolve(str(env, 'KTRDR_DATA_DIR') ?? 'data');
  const dbPath = resolve(overrides.dbPath ?? str(env, 'KTRDR_DB_PATH') ?? join('data', 'ktrdr.db'));
  const token = apiToken(env);
  const config: BackendConfig = {
    // Without a token, only this machine may talk to the backend unless told otherwise.
    host: str(env, 'KTRDR_API_HOST') ?? (token === undefined ? '127.0.0.1' : '0.0.0.0'),
    port: num(env, 'KTRDR_API_PORT', 8000, { min: 0, integer: true }),
    dbPath,
    resultsDir: resolve(str(env, 'KTRDR_RESULTS_DIR') ?? join(dirname(dbPath), 'results')),
    dataDir,
    modelsDir: resolve(str(env, 'KTRDR_MODELS_DIR') ?? 'models'),
    strategiesDir: resolve(str(env, 'KTRDR_STRATEGIES_DIR') ?? 'strategies'),
    logLevel: logLevel(env),
    apiToken: token,
    insecure: bool(env, 'KTRDR_INSECURE') ?? false,
    healthCheckIntervalMs: num(env, 'HEALTH_CHECK_INTERVAL_SECONDS', healthKeys.HEALTH_CHECK_INTERVAL_SECONDS, { min: 0.01 }) * 1000,
    healthCheckTimeoutMs: num(env, 'HEALTH_CHECK_TIMEOUT_SECONDS', healthKeys.HEALTH_CHECK_TIMEOUT_SECONDS, { min: 0.01 }) * 1000,
    healthCheckFailureThreshold: num(env, 'HEALTH_CHECK_FAILURE_THRESHOLD', healthKeys.HEALTH_CHECK_FAILURE_THRESHOLD, { min: 1, integer: true }),
    workerRemovalThresholdMs: num(env, 'WORKER_REMOVAL_THRESHOLD_SECONDS', healthKeys.WORKER_REMOVAL_THRESHOLD_SECONDS, { min: 0 }) * 1000,
    operationsCacheTtlMs: num(env, 'OPERATIONS_CACHE_TTL', 1, { min: 0 }) * 1000,
    orphanTimeoutMs: num(env, 'ORPHAN_TIMEOUT_SECONDS', 60, { min: 0 }) * 1000,
    workerRequestTimeoutMs: num(env, 'WORKER_REQUEST_TIMEOUT_SECONDS', 5, { min: 0.01 }) * 1000,
    workerStartTimeoutMs: num(env, 'WORKER_START_TIMEOUT_SECONDS', 5, { min: 0.01 }) * 1000,
    maxDispatchAttempts: num(env, 'DISPATCH_MAX_ATTEMPTS', 3, { min: 1, integer: true }),
    maxQueued: num(env, 'KTRDR_MAX_QUEUED', 10_000, { min: 0, integer: true }),
    modelStore: modelStoreUrl(env),
    s3Endpoint: url(env, 'KTRDR_S3_ENDPOINT'),
    s3Region: str(env, 'AWS_REGION') ?? 'us-east-1',
  };
  const merged = { ...config, ...stripUndefined(overrides) };
  checkBind('backend', 'KTRDR_API_HOST or --host', merged);
  return merged;
}

export interface WorkerConfig {
  workerType: string;
  apiUrl: string;
  workerId: string;
  host: string;
  port: number;
  endpointUrl: string | undefined;
  cores: number | undefined;
  memoryGb: number | undefined;
  gpu: boolean | undefined;
  logLevel: LogLevel;
  apiToken: string | undefined;
  /** Listen on a non-loopback host without a token (`--insecure`, KTRDR_INSECURE). */
  insecure: boolean;
  drainMs: number;
  registrationCheckIntervalMs: number;
  healthSilenceMs: number;
  dataDir: string;
  modelsDir: string;
  strategiesDir: string;
}

export const DEFAULT_WORKER_PORTS: Readonly<Record<string, number>> = { backtesting: 5003, training: 5004 };

export function loadWorkerConfig(
  workerType: string,
  rawEnv: Env = process.env,
  overrides: Partial<WorkerConfig> = {},
): WorkerConfig {
  const env = withYaml(rawEnv);
  const apiUrl = overrides.apiUrl ?? url(env, 'KTRDR_API_URL');
  if (apiUrl === undefined) {
    throw new ConfigError(
      'KTRDR_API_URL is not set: a worker must know where the backend is (e.g. KTRDR_API_URL=http://localhost:8000)',
    );
  }
  const port = overrides.port ?? num(env, 'WORKER_PORT', DEFAULT_WORKER_PORTS[workerType] ?? 5005, { min: 0, integer: true });
  const cores = str(env, 'WORKER_CORES') === undefined ? undefined : num(env, 'WORKER_CORES', 0, { min: 1, integer: true });
  const memoryGb = str(env, 'WORKER_MEMORY_GB') === undefined ? undefined : num(env, 'WORKER_MEMORY_GB', 0, { min: 0 });
  const token = apiToken(env);
  const config: WorkerConfig = {
    workerType,
    apiUrl,
    // Two hosts can share a hostname (cloned VMs, pods): a random suffix keeps default ids apart.
    workerId: str(env, 'WORKER_ID') ?? `${workerType}-${hostname()}-${port}-${randomBytes(3).toString('hex')}`,
    host: str(env, 'WORKER_HOST') ?? (token === undefined ? '127.0.0.1' : '0.0.0.0'),
    port,
    endpointUrl: url(env, 'WORKER_ENDPOINT_URL'),
    cores,
    memoryGb,
    gpu: bool(env, 'WORKER_GPU'),
    logLevel: logLevel(env),
    apiToken: token,
    insecure: bool(env, 'KTRDR_INSECURE') ?? false,
    drainMs: num(env, 'WORKER_DRAIN_SECONDS', 25, { min: 0 }) * 1000,
    registrationCheckIntervalMs: num(env, 'WORKER_REGISTRATION_CHECK_SECONDS', 5, { min: 0.01 }) * 1000,
    healthSilenceMs: num(env, 'WORKER_HEALTH_SILENCE_SECONDS', 30, { min: 0.01 }) * 1000,
    dataDir: resolve(str(env, 'KTRDR_DATA_DIR') ?? 'data'),
    modelsDir: resolve(str(env, 'KTRDR_MODELS_DIR') ?? 'models'),
    strategiesDir: resolve(str(env, 'KTRDR_STRATEGIES_DIR') ?? 'strategies'),
  };
  const merged = { ...config, ...stripUndefined(overrides) };
  checkBind(`${workerType} worker`, 'WORKER_HOST', merged);
  return merged;
}

/** Where the CLI finds the backend. */
export function loadClientConfig(rawEnv: Env = process.env): { apiUrl: string; apiToken: string | undefined } {
  return { apiUrl: url(rawEnv, 'KTRDR_API_URL') ?? 'http://localhost:8000', apiToken: apiToken(rawEnv) };
}

/** The token in a `--token-file` (its first line, trimmed). */
export function readTokenFile(path: string): string {
  return apiToken({ KTRDR_API_TOKEN_FILE: path })!;
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
