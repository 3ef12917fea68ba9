/**
 * The variable table rendered for people: the markdown table in docs/user-guide.md (a test checks
 * it is current; `node scripts/gen-env-docs.mjs` rewrites it) and the "Environment" section of
 * `ktrdr backend --help` / `ktrdr worker --help`.
 */
import { ENV_VARS, type EnvReader, type EnvVarSpec } from './env-schema.js';

/** Marks the generated block in docs/user-guide.md. */
export const ENV_TABLE_BEGIN = '<!-- env-table: generated from src/config/env-schema.ts by `node scripts/gen-env-docs.mjs` -->';
export const ENV_TABLE_END = '<!-- /env-table -->';

function defaultOf(spec: EnvVarSpec): string {
  if (spec.defaultText !== undefined) return spec.defaultText;
  if (spec.default === undefined) return 'none';
  return `\`${String(spec.default)}\``;
}

const READERS: Readonly<Record<EnvReader, string>> = { backend: 'backend', worker: 'workers', cli: 'CLI' };

function readersOf(spec: EnvVarSpec): string {
  return spec.readBy.length === 3 ? 'all' : spec.readBy.map((r) => READERS[r]).join(', ');
}

/** The markdown table, one row per variable, between the markers. */
export function renderEnvTable(): string {
  const rows = ENV_VARS.map((v) => `| \`${v.name}\` | ${readersOf(v)} | ${defaultOf(v)} | ${v.description} |`);
  return [ENV_TABLE_BEGIN, '| Variable | Used by | Default | Meaning |', '|---|---|---|---|', ...rows, ENV_TABLE_END].join('\n');
}

/** Plain text for `--help`: the variables `reader` reads, with defaults. */
export function renderEnvHelp(reader: EnvReader): string {
  const vars = ENV_VARS.filter((v) => v.readBy.includes(reader));
  const width = Math.max(...vars.map((v) => v.name.length));
  const plain = (s: string) => s.replace(/\[([^\]]+)\]\([^)]+\)/g, '$1').replace(/`/g, '');
  const lines = vars.map((v) => {
    const dflt = defaultOf(v);
    return `  ${v.name.padEnd(width)}  ${plain(v.description)}${dflt === 'none' ? '' : ` (default: ${plain(dflt)})`}`;
  });
  const order = reader === 'cli' ? 'a flag wins over its variable' : 'a flag wins over its variable, a variable over config/workers.$KTRDR_ENV.yaml';
  return `\nEnvironment (${order}):\n${lines.join('\n')}`;
}
