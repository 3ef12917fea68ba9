/**
 * The only place that reads `process.env` and `config/workers.{KTRDR_ENV}.yaml`. Each variable is
 * declared once in env-schema.ts (type, default, who reads it, meaning); the loaders here parse
 * them with `readEnv` and assemble the typed configs.
 * Composition roots (src/bin) call these loaders and turn the result into component options.
 * Precedence: explicit overrides (CLI flags) > environment variables > YAML file > defaults.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, ENV_SPEC, rawEnv, readEnv, type Env, type LogLevel, type NumericEnvName } from './env-schema.js';

export { ConfigError, type Env, type LogLevel } from './env-schema.js';

/** The placeholder the deployment examples ship with; refused so that nobody runs with it. */
export const TOKEN_PLACEHOLDER = 'change-me';

/** KTRDR_API_TOKEN, else the first line of the file KTRDR_API_TOKEN_FILE names (docker/systemd secrets). */
function apiToken(env: Env): string | undefined {
  let token = readEnv(env, 'KTRDR_API_TOKEN');
  const file = readEnv(env, 'KTRDR_API_TOKEN_FILE');
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

/** Health-check timings (backend); YAML keys are the env var names in lowercase. */
export interface HealthTimings {
  healthCheckIntervalMs: number;
  healthCheckTimeoutMs: number;
  healthCheckFailureThreshold: number;
  workerRemovalThresholdMs: number;
}

/** Reads `{configDir}/workers.{KTRDR_ENV}.yaml` (flat keys, env var names in lower or upper case). */
export function loadWorkersYaml(env: Env, configDir: string): Record<string, string> {
  const name = readEnv(env, 'KTRDR_ENV');
  if (name === undefined) return {};
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
      else if (k.toUpperCase() in ENV_SPEC) out[k.toUpperCase()] = String(v);
      else throw new ConfigError(`${file}: ${k} is not a ktrdr setting (the keys are environment variable names, e.g. health_check_interval_seconds)`);
    }
  };
  flatten(doc as Record<string, unknown>);
  return out;
}

function withYaml(env: Env): Env {
  const fromYaml = loadWorkersYaml(env, readEnv(env, 'KTRDR_CONFIG_DIR'));
  const merged: Record<string, string | undefined> = { ...fromYaml };
  for (const [k, v] of Object.entries(env)) if (rawEnv(env, k) !== undefined) merged[k] = v;
  return merged;
}

export interface BackendConfig extends HealthTimings {
  host: string;
  port: number;
  dbPath: string;
  /** PostgreSQL operations store (KTRDR_DATABASE_URL); undefined: SQLite at dbPath. */
  databaseUrl: string | undefined;
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

export function loadBackendConfig(rawEnv: Env = process.env, overrides: Partial<BackendConfig> = {}): BackendConfig {
  const env = withYaml(rawEnv);
  const token = apiToken(env);
  const seconds = (name: NumericEnvName): number => readEnv(env, name) * 1000;
  // Result files live next to the database unless told otherwise (also when a caller overrides dbPath).
  const dbPath = overrides.dbPath ?? readEnv(env, 'KTRDR_DB_PATH');
  const config: BackendConfig = {
    // Without a token, only this machine may talk to the backend unless told otherwise.
    host: readEnv(env, 'KTRDR_API_HOST') ?? (token === undefined ? '127.0.0.1' : '0.0.0.0'),
    port: readEnv(env, 'KTRDR_API_PORT'),
    dbPath,
    databaseUrl: readEnv(env, 'KTRDR_DATABASE_URL'),
    resultsDir: readEnv(env, 'KTRDR_RESULTS_DIR') ?? join(dirname(dbPath), 'results'),
    dataDir: readEnv(env, 'KTRDR_DATA_DIR'),
    modelsDir: readEnv(env, 'KTRDR_MODELS_DIR'),
    strategiesDir: readEnv(env, 'KTRDR_STRATEGIES_DIR'),
    logLevel: readEnv(env, 'LOG_LEVEL'),
    apiToken: token,
    insecure: readEnv(env, 'KTRDR_INSECURE'),
    healthCheckIntervalMs: seconds('HEALTH_CHECK_INTERVAL_SECONDS'),
    healthCheckTimeoutMs: seconds('HEALTH_CHECK_TIMEOUT_SECONDS'),
    healthCheckFailureThreshold: readEnv(env, 'HEALTH_CHECK_FAILURE_THRESHOLD'),
    workerRemovalThresholdMs: seconds('WORKER_REMOVAL_THRESHOLD_SECONDS'),
    operationsCacheTtlMs: seconds('OPERATIONS_CACHE_TTL'),
    orphanTimeoutMs: seconds('ORPHAN_TIMEOUT_SECONDS'),
    workerRequestTimeoutMs: seconds('WORKER_REQUEST_TIMEOUT_SECONDS'),
    workerStartTimeoutMs: seconds('WORKER_START_TIMEOUT_SECONDS'),
    maxDispatchAttempts: readEnv(env, 'DISPATCH_MAX_ATTEMPTS'),
    maxQueued: readEnv(env, 'KTRDR_MAX_QUEUED'),
    modelStore: readEnv(env, 'KTRDR_MODEL_STORE'),
    s3Endpoint: readEnv(env, 'KTRDR_S3_ENDPOINT'),
    s3Region: readEnv(env, 'AWS_REGION'),
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
  const apiUrl = overrides.apiUrl ?? readEnv(env, 'KTRDR_API_URL');
  if (apiUrl === undefined) {
    throw new ConfigError(
      'KTRDR_API_URL is not set: a worker must know where the backend is (e.g. KTRDR_API_URL=http://localhost:8000)',
    );
  }
  const port = overrides.port ?? readEnv(env, 'WORKER_PORT') ?? DEFAULT_WORKER_PORTS[workerType] ?? 5005;
  const token = apiToken(env);
  const seconds = (name: NumericEnvName): number => readEnv(env, name) * 1000;
  const config: WorkerConfig = {
    workerType,
    apiUrl,
    // Two hosts can share a hostname (cloned VMs, pods): a random suffix keeps default ids apart.
    workerId: readEnv(env, 'WORKER_ID') ?? `${workerType}-${hostname()}-${port}-${randomBytes(3).toString('hex')}`,
    host: readEnv(env, 'WORKER_HOST') ?? (token === undefined ? '127.0.0.1' : '0.0.0.0'),
    port,
    endpointUrl: readEnv(env, 'WORKER_ENDPOINT_URL'),
    cores: readEnv(env, 'WORKER_CORES'),
    memoryGb: readEnv(env, 'WORKER_MEMORY_GB'),
    gpu: readEnv(env, 'WORKER_GPU'),
    logLevel: readEnv(env, 'LOG_LEVEL'),
    apiToken: token,
    insecure: readEnv(env, 'KTRDR_INSECURE'),
    drainMs: seconds('WORKER_DRAIN_SECONDS'),
    registrationCheckIntervalMs: seconds('WORKER_REGISTRATION_CHECK_SECONDS'),
    healthSilenceMs: seconds('WORKER_HEALTH_SILENCE_SECONDS'),
    dataDir: readEnv(env, 'KTRDR_DATA_DIR'),
    modelsDir: readEnv(env, 'KTRDR_MODELS_DIR'),
    strategiesDir: readEnv(env, 'KTRDR_STRATEGIES_DIR'),
  };
  const merged = { ...config, ...stripUndefined(overrides) };
  checkBind(`${workerType} worker`, 'WORKER_HOST', merged);
  return merged;
}

/** What the CLI reads: where the backend is, its token, and the local directories of the offline commands. */
export interface ClientConfig {
  apiUrl: string;
  apiToken: string | undefined;
  dataDir: string;
  modelsDir: string;
  strategiesDir: string;
}

/** The CLI's settings (no YAML file: that is for servers). Flags are applied by the CLI on top. */
export function loadClientConfig(rawEnv: Env = process.env): ClientConfig {
  return {
    apiUrl: readEnv(rawEnv, 'KTRDR_API_URL') ?? 'http://localhost:8000',
    apiToken: apiToken(rawEnv),
    dataDir: readEnv(rawEnv, 'KTRDR_DATA_DIR'),
    modelsDir: readEnv(rawEnv, 'KTRDR_MODELS_DIR'),
    strategiesDir: readEnv(rawEnv, 'KTRDR_STRATEGIES_DIR'),
  };
}

/** The token in a `--token-file` (its first line, trimmed). */
export function readTokenFile(path: string): string {
  return apiToken({ KTRDR_API_TOKEN_FILE: path })!;
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
