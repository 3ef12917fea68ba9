/**
 * Every environment variable ktrdr reads, in one table: its type, default, which process reads it
 * and what it means. `readEnv` parses one variable by its row; the loaders in env.ts build the
 * typed configs from it. The user guide's variable table and `ktrdr backend|worker --help` are
 * rendered from this table (env-docs.ts), and the deployment tests check compose, systemd and
 * Kubernetes files against it, so a variable added here is documented and checked everywhere.
 */
import { resolve as resolvePath } from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The processes that read variables. */
export type EnvReader = 'backend' | 'worker' | 'cli';

interface VarBase {
  readonly readBy: readonly EnvReader[];
  readonly description: string;
  /** The default as the docs show it, where the code computes it (e.g. from another variable). */
  readonly defaultText?: string;
}

/** One row of the table. Numbers in `…_SECONDS` variables are seconds; the loaders convert to ms. */
export type EnvVarSpec =
  | (VarBase & { readonly type: 'integer' | 'number'; readonly default?: number; readonly min?: number })
  | (VarBase & { readonly type: 'boolean'; readonly default?: boolean })
  | (VarBase & { readonly type: 'string'; readonly default?: string; readonly pattern?: RegExp; readonly patternHint?: string })
  /** An http(s) URL; a trailing slash is dropped. */
  | (VarBase & { readonly type: 'url'; readonly default?: string })
  /** A file or directory, resolved against the working directory. */
  | (VarBase & { readonly type: 'path'; readonly default?: string })
  | (VarBase & { readonly type: 'enum'; readonly values: readonly string[]; readonly default?: string });

const ALL: readonly EnvReader[] = ['backend', 'worker', 'cli'];
const SERVERS: readonly EnvReader[] = ['backend', 'worker'];
const BACKEND: readonly EnvReader[] = ['backend'];
const WORKER: readonly EnvReader[] = ['worker'];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The table. Keep the order: the docs show it as is. */
export const ENV_SPEC = {
  KTRDR_API_URL: { type: 'url', readBy: ['worker', 'cli'], defaultText: 'CLI: `http://localhost:8000`', description: 'Where the backend is. Required for workers.' },
  KTRDR_API_TOKEN: { type: 'string', readBy: ALL, description: 'Shared bearer token (see [Token authentication](#6-token-authentication)).' },
  KTRDR_API_TOKEN_FILE: { type: 'string', readBy: ALL, description: 'File whose first line is the token (Docker/systemd secrets), used when `KTRDR_API_TOKEN` is unset.' },
  KTRDR_INSECURE: { type: 'boolean', default: false, readBy: SERVERS, description: 'Allow a non-loopback listen address without a token (`--insecure`); see [security.md](security.md).' },
  KTRDR_API_HOST: { type: 'string', readBy: BACKEND, defaultText: '`0.0.0.0` with a token, else `127.0.0.1`', description: 'Listen address (`--host`).' },
  KTRDR_API_PORT: { type: 'integer', min: 0, default: 8000, readBy: BACKEND, description: 'Listen port (`--port`).' },
  KTRDR_DB_PATH: { type: 'path', default: 'data/ktrdr.db', readBy: BACKEND, description: 'SQLite operations database (unless `KTRDR_DATABASE_URL` is set).' },
  KTRDR_RESULTS_DIR: {
    type: 'path', readBy: BACKEND, defaultText: '`results` next to `KTRDR_DB_PATH`',
    description: "Result files (a backtest's full equity curve, one binary file per operation); keep it on the same volume as the database.",
  },
  KTRDR_DATABASE_URL: {
    type: 'string', pattern: /^postgres(ql)?:\/\/[^/]/i, patternHint: 'must be a postgres:// URL (e.g. postgres://ktrdr@db:5432/ktrdr); leave it unset for SQLite at KTRDR_DB_PATH', readBy: BACKEND,
    description: 'PostgreSQL operations store (`postgres://user:pass@host:5432/db`) instead of SQLite; see [operations-store.md](operations-store.md).',
  },
  KTRDR_DATA_DIR: { type: 'path', default: 'data', readBy: ALL, description: 'OHLCV CSV files.' },
  KTRDR_MODELS_DIR: { type: 'path', default: 'models', readBy: ALL, description: "Trained model bundles: the backend's store, and each worker's own copy (fetched from the backend; see [models.md](models.md))." },
  KTRDR_MODEL_STORE: {
    type: 'string', pattern: /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, patternHint: 'expected s3://bucket or s3://bucket/prefix', readBy: BACKEND,
    description: "`s3://bucket/prefix`: keep the backend's model store in an S3-compatible bucket instead of `KTRDR_MODELS_DIR`.",
  },
  KTRDR_S3_ENDPOINT: { type: 'url', readBy: BACKEND, defaultText: 'AWS', description: 'Endpoint of an S3-compatible server (MinIO: `http://minio:9000`) for `KTRDR_MODEL_STORE`.' },
  AWS_REGION: { type: 'string', default: 'us-east-1', readBy: BACKEND, description: 'Region for `KTRDR_MODEL_STORE`.' },
  KTRDR_STRATEGIES_DIR: { type: 'path', default: 'strategies', readBy: ALL, description: 'Strategy YAML files.' },
  KTRDR_CONFIG_DIR: { type: 'path', default: 'config', readBy: SERVERS, description: 'Where `workers.$KTRDR_ENV.yaml` is looked up.' },
  KTRDR_ENV: { type: 'string', pattern: /^[a-z0-9_-]+$/i, patternHint: 'only letters, digits, - and _', readBy: SERVERS, description: 'Load `$KTRDR_CONFIG_DIR/workers.$KTRDR_ENV.yaml` (`dev` or `prod`).' },
  LOG_LEVEL: {
    type: 'enum', values: LOG_LEVELS, default: 'info', readBy: SERVERS,
    description: "`fatal` … `trace`, or `silent`. Logs go to stderr: human lines on a terminal, JSON lines otherwise (files, pipes, Docker, `ktrdr up`'s logs).",
  },
  WORKER_PORT: { type: 'integer', min: 0, readBy: WORKER, defaultText: '5003 backtesting, 5004 training', description: 'Listen port (`--port`).' },
  WORKER_HOST: { type: 'string', readBy: WORKER, defaultText: '`0.0.0.0` with a token, else `127.0.0.1`', description: 'Listen address (`--host`).' },
  WORKER_ID: { type: 'string', readBy: WORKER, defaultText: '`{type}-{hostname}-{port}-{random}`', description: 'Unique, stable id of this worker.' },
  WORKER_ENDPOINT_URL: { type: 'url', readBy: WORKER, defaultText: 'detected', description: 'URL the backend uses to reach this worker.' },
  WORKER_CORES: { type: 'integer', min: 1, readBy: WORKER, defaultText: 'detected', description: 'Advertised CPU cores.' },
  WORKER_MEMORY_GB: { type: 'number', min: 0, readBy: WORKER, defaultText: 'detected', description: 'Advertised memory.' },
  WORKER_GPU: { type: 'boolean', readBy: WORKER, defaultText: 'detected', description: 'Advertise a GPU (`true`) or never (`false`).' },
  WORKER_DRAIN_SECONDS: { type: 'number', min: 0, default: 25, readBy: WORKER, description: 'How long a running operation may finish on shutdown.' },
  WORKER_REGISTRATION_CHECK_SECONDS: { type: 'number', min: 0.01, default: 5, readBy: WORKER, description: 'How often a worker checks the backend still knows it.' },
  WORKER_HEALTH_SILENCE_SECONDS: { type: 'number', min: 0.01, default: 30, readBy: WORKER, description: 'No health probe for this long → register again.' },
  HEALTH_CHECK_INTERVAL_SECONDS: { type: 'number', min: 0.01, default: 10, readBy: BACKEND, description: "Probe each worker's `/health` this often." },
  HEALTH_CHECK_TIMEOUT_SECONDS: { type: 'number', min: 0.01, default: 5, readBy: BACKEND, description: 'Timeout of one probe.' },
  HEALTH_CHECK_FAILURE_THRESHOLD: { type: 'integer', min: 1, default: 3, readBy: BACKEND, description: 'Failed probes in a row → `temporarily_unavailable`.' },
  WORKER_REMOVAL_THRESHOLD_SECONDS: { type: 'number', min: 0, default: 300, readBy: BACKEND, description: 'Unavailable this long → removed from the registry.' },
  ORPHAN_TIMEOUT_SECONDS: {
    type: 'number', min: 0, default: 60, readBy: BACKEND,
    description: 'A running operation whose worker is unreachable or gone for this long is settled: re-queued if it has attempts left, failed ("worker lost") otherwise. Until then it shows `status_detail: worker unreachable since …`.',
  },
  WORKER_REQUEST_TIMEOUT_SECONDS: {
    type: 'number', min: 0.01, default: 5, readBy: BACKEND,
    description: 'Timeout of one backend → worker request (status reads answer from the last known state after 0.3 s).',
  },
  KTRDR_MAX_QUEUED: { type: 'integer', min: 0, default: 10_000, readBy: BACKEND, description: 'Operations waiting for a worker at most; a submission beyond gets 429 with `Retry-After`.' },
  WORKER_START_TIMEOUT_SECONDS: {
    type: 'number', min: 0.01, default: 5, readBy: BACKEND,
    description: 'Timeout of one start request; the attempt is then abandoned (the worker can no longer claim it), the worker is skipped for 10 s, and another worker is tried.',
  },
  DISPATCH_MAX_ATTEMPTS: {
    type: 'integer', min: 1, default: 3, readBy: BACKEND,
    description: 'Workers tried per dispatch (a busy or unreachable one is skipped) before the operation goes back to the queue.',
  },
  OPERATIONS_CACHE_TTL: { type: 'number', min: 0, default: 1, readBy: BACKEND, description: "Seconds a running operation's live status is cached." },
} as const satisfies Record<string, EnvVarSpec>;

export type EnvName = keyof typeof ENV_SPEC;

/** The table as rows, in order. */
export const ENV_VARS: readonly (EnvVarSpec & { readonly name: EnvName })[] = Object.entries(ENV_SPEC).map(
  ([name, spec]) => ({ name: name as EnvName, ...(spec as EnvVarSpec) }),
);

type Parsed<S> = S extends { type: 'integer' | 'number' }
  ? number
  : S extends { type: 'boolean' }
    ? boolean
    : S extends { type: 'enum'; values: readonly (infer V)[] }
      ? V
      : string;

/** What `readEnv` returns for a variable: never undefined when the table gives a default. */
export type EnvValue<K extends EnvName> = (typeof ENV_SPEC)[K] extends { default: unknown }
  ? Parsed<(typeof ENV_SPEC)[K]>
  : Parsed<(typeof ENV_SPEC)[K]> | undefined;

/** The variables that always parse to a number (they have a numeric default). */
export type NumericEnvName = { [K in EnvName]: EnvValue<K> extends number ? K : never }[EnvName];

/** The raw text of a variable; blank counts as unset. */
export function rawEnv(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/**
 * Parses one variable by its row of the table: unset → the default (or undefined), set → the
 * converted value, invalid → a ConfigError that names the variable and what it must be.
 */
export function readEnv<K extends EnvName>(env: Env, name: K): EnvValue<K> {
  const spec: EnvVarSpec = ENV_SPEC[name];
  const raw = rawEnv(env, name);
  if (raw === undefined) {
    if (spec.default === undefined) return undefined as EnvValue<K>;
    return (spec.type === 'path' ? resolvePath(spec.default) : spec.default) as EnvValue<K>;
  }
  return parseValue(spec, name, raw) as EnvValue<K>;
}

function parseValue(spec: EnvVarSpec, name: string, raw: string): string | number | boolean {
  const fail = (must: string): never => {
    throw new ConfigError(`${name}=${raw}: ${must}`);
  };
  switch (spec.type) {
    case 'integer':
    case 'number': {
      const n = Number(raw);
      const isInteger = spec.type === 'integer';
      if (!Number.isFinite(n) || (isInteger && !Number.isInteger(n)) || (spec.min !== undefined && n < spec.min)) {
        fail(`must be ${isInteger ? 'an integer' : 'a number'}${spec.min !== undefined ? ` >= ${spec.min}` : ''}`);
      }
      return n;
    }
    case 'boolean': {
      const v = raw.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      return fail('must be true or false');
    }
    case 'enum': {
      const v = raw.toLowerCase();
      if (!spec.values.includes(v)) fail(`must be one of ${spec.values.join(', ')}`);
      return v;
    }
    case 'url': {
      let parsed: URL | undefined;
      try {
        parsed = new URL(raw);
      } catch {
        fail('not a URL (expected e.g. http://localhost:8000)');
      }
      if (parsed!.protocol !== 'http:' && parsed!.protocol !== 'https:') fail('must be an http:// or https:// URL');
      return raw.replace(/\/+$/, '');
    }
    case 'path':
      return resolvePath(raw);
    case 'string':
      if (spec.pattern !== undefined && !spec.pattern.test(raw)) fail(spec.patternHint ?? `must match ${String(spec.pattern)}`);
      return raw;
  }
}
