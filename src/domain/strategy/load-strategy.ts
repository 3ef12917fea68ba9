import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, join, resolve, sep } from 'node:path';
import { parseStrategyYaml } from './parse-strategy-yaml.js';
import type { StrategyConfig } from './strategy-config.js';
import { StrategyNotFoundError } from './strategy-not-found-error.js';

const EXTENSIONS = ['.yaml', '.yml'];
/** A bare strategy name: no path separators and no `..`, so it cannot escape the strategies directory. */
export const STRATEGY_NAME_PATTERN = '^(?!.*\\.\\.)[A-Za-z0-9][A-Za-z0-9_.-]*$';
const STRATEGY_NAME = new RegExp(STRATEGY_NAME_PATTERN);

/** A strategy name that is not a bare name (a path, `..`, odd characters). */
export class InvalidStrategyNameError extends Error {
  readonly code = 'STRATEGY_NAME_INVALID';
  constructor(readonly strategy: string) {
    super(`'${strategy.slice(0, 100)}' is not a strategy name: use letters, digits, '.', '_' and '-' (the file strategies/{name}.yaml on the server)`);
    this.name = 'InvalidStrategyNameError';
  }
}

/**
 * Loads a strategy by bare name from `strategiesDir` only: what the servers use for requests,
 * so a request can never make them open a file elsewhere. `name.yaml` is accepted as `name`.
 *
 * @throws InvalidStrategyNameError when `name` is a path or has odd characters
 * @throws StrategyNotFoundError, StrategyValidationError as {@link loadStrategy}
 */
export function loadStrategyByName(name: string, strategiesDir: string): StrategyConfig {
  const bare = EXTENSIONS.includes(extname(name)) ? name.slice(0, -extname(name).length) : name;
  if (!STRATEGY_NAME.test(bare)) throw new InvalidStrategyNameError(name);
  const file = EXTENSIONS.map((ext) => join(strategiesDir, `${bare}${ext}`)).find((c) => isFileInside(c, strategiesDir));
  if (file === undefined) throw new StrategyNotFoundError(name, basename(strategiesDir), listStrategies(strategiesDir));
  return parseCached(file, `${bare}${extname(file)}`);
}

/**
 * Parsed strategies by file, valid while the file's mtime and size are unchanged: a backend checks
 * the strategy of every submission, and parsing YAML costs ~2 ms where a stat costs microseconds.
 * Callers get their own copy (they may derive per-request variants from it).
 */
const parsed = new Map<string, { mtimeMs: number; size: number; label: string; config: StrategyConfig }>();
const MAX_CACHED = 256;

function parseCached(file: string, label: string): StrategyConfig {
  const st = statSync(file);
  const hit = parsed.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size && hit.label === label) return structuredClone(hit.config);
  // A file that does not validate throws here and is not cached: the next request reads it again.
  const config = parseStrategyYaml(readFileSync(file, 'utf8'), label);
  if (parsed.size >= MAX_CACHED) parsed.delete(parsed.keys().next().value!);
  parsed.set(file, { mtimeMs: st.mtimeMs, size: st.size, label, config: structuredClone(config) });
  return config;
}

/** `file` exists, is a regular file and (symlinks resolved) lies inside `dir`. */
function isFileInside(file: string, dir: string): boolean {
  try {
    return statSync(file).isFile() && realpathSync(file).startsWith(realpathSync(dir) + sep);
  } catch {
    return false;
  }
}

/**
 * Loads and validates a strategy.
 *
 * - A bare name (`rsi_macd_1h`) is looked up as `{strategiesDir}/{name}.yaml`, then `.yml`.
 * - Anything else with a `/` or a `.yaml`/`.yml` extension is a path: absolute, or relative to
 *   `strategiesDir` first and to the working directory second.
 *
 * @throws StrategyNotFoundError (code STRATEGY_NOT_FOUND) listing the available names
 * @throws StrategyValidationError (code STRATEGY_INVALID) when the file is malformed
 */
export function loadStrategy(nameOrPath: string, strategiesDir: string): StrategyConfig {
  const file = findStrategyFile(nameOrPath, strategiesDir);
  if (file === undefined) throw new StrategyNotFoundError(nameOrPath, strategiesDir, listStrategies(strategiesDir));
  return parseStrategyYaml(readFileSync(file, 'utf8'), file);
}

/** Names (file names without extension) of the strategy files in `strategiesDir`, sorted; [] if it does not exist. */
export function listStrategies(strategiesDir: string): string[] {
  if (!existsSync(strategiesDir)) return [];
  const names = new Set<string>();
  for (const entry of readdirSync(strategiesDir, { withFileTypes: true })) {
    const ext = extname(entry.name);
    if (entry.isFile() && EXTENSIONS.includes(ext)) names.add(basename(entry.name, ext));
  }
  return [...names].sort();
}

/** The file a name or path refers to, or undefined. */
export function findStrategyFile(nameOrPath: string, strategiesDir: string): string | undefined {
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.includes('\\') || EXTENSIONS.includes(extname(nameOrPath));
  const candidates: string[] = [];
  if (looksLikePath) {
    if (isAbsolute(nameOrPath)) candidates.push(nameOrPath);
    else candidates.push(resolve(strategiesDir, nameOrPath), resolve(nameOrPath));
  } else if (STRATEGY_NAME.test(nameOrPath)) {
    for (const ext of EXTENSIONS) candidates.push(join(strategiesDir, `${nameOrPath}${ext}`));
  }
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}
