import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { parseStrategyYaml } from './parse-strategy-yaml.js';
import type { StrategyConfig } from './strategy-config.js';
import { StrategyNotFoundError } from './strategy-not-found-error.js';

const EXTENSIONS = ['.yaml', '.yml'];
/** A bare strategy name: no path separators, so it cannot escape the strategies directory. */
const STRATEGY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

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
