import { parseStrategyYaml } from '../domain/strategy/parse-strategy-yaml.js';
import { DataError } from '../domain/data/data-error.js';
import { parseUtcDate } from '../domain/data/date-range.js';
import { listAvailableData } from '../domain/data/data-files.js';
import { loadOhlcv } from '../domain/data/ohlcv-loader.js';
import { requiredTimeframes } from '../domain/features/build-features.js';
import { StrategyRequestError, strategyForTimeframe } from '../domain/pipeline/strategy-data.js';
import { loadStrategyByName } from '../domain/strategy/load-strategy.js';
import type { StrategyConfig } from '../domain/strategy/strategy-config.js';
import { InvalidRequestError } from '../contracts/errors.js';

/**
 * Shared request checks of the start routes (backend and workers): each failure is a 400 naming
 * the field. Strategies are looked up by bare name inside `strategiesDir` only.
 */
export function loadStrategyOr400(name: string, strategiesDir: string): StrategyConfig {
  try {
    return loadStrategyByName(name, strategiesDir);
  } catch (err) {
    const e = err as Error & { code?: string; issues?: { path: string; message: string }[] };
    if (e.code === 'STRATEGY_INVALID' && e.issues) {
      throw new InvalidRequestError(e.issues.map((i) => ({ path: i.path ? `strategy_name (${name}): ${i.path}` : `strategy_name (${name})`, message: i.message })));
    }
    throw InvalidRequestError.field('strategy_name', e.message);
  }
}

export function withTimeframeOr400(strategy: StrategyConfig, timeframe: string): StrategyConfig {
  try {
    return strategyForTimeframe(strategy, timeframe);
  } catch (err) {
    if (err instanceof StrategyRequestError) throw InvalidRequestError.field(err.field, err.message.replace(`${err.field}: `, ''));
    throw err;
  }
}

function parseDate(field: string, value: string): number {
  const t = parseUtcDate(value);
  if (!Number.isFinite(t)) throw InvalidRequestError.field(field, `'${value}' is not a valid date (use YYYY-MM-DD)`);
  return t;
}

export function parseDateRange(startDate: string, endDate: string): { start: number; end: number } {
  const start = parseDate('start_date', startDate);
  const end = parseDate('end_date', endDate);
  if (end <= start) throw InvalidRequestError.field('end_date', `must be after start_date (${startDate})`);
  return { start, end };
}

function symbolHasData(dataDir: string, symbol: string): boolean {
  try {
    return listAvailableData(dataDir).some((a) => a.symbol === symbol);
  } catch {
    return false; // no data directory: the message says so
  }
}

/** Every timeframe the strategy needs has data for the symbol inside the range. */
export function checkDataCoverage(
  strategy: StrategyConfig,
  dataDir: string,
  symbol: string,
  startDate: string | undefined,
  endDate: string | undefined,
): void {
  for (const tf of requiredTimeframes(strategy)) {
    try {
      loadOhlcv({ dataDir, symbol, timeframe: tf, startDate, endDate });
    } catch (err) {
      if (err instanceof DataError) {
        // A missing file is the timeframe's fault when the symbol has data in other timeframes.
        const field = err.code === 'DATA_EMPTY' ? 'start_date' : err.code === 'DATA_NOT_FOUND' && symbolHasData(dataDir, symbol) ? 'timeframe' : 'symbol';
        throw InvalidRequestError.field(field, err.message);
      }
      throw err;
    }
  }
}

/** The strategy a start request names (`strategy_name`) or carries (`strategy_yaml`): exactly one of them; 400 otherwise. */
export function strategyFromRequestOr400(body: { strategy_name?: string | undefined; strategy_yaml?: string | undefined }, strategiesDir: string): StrategyConfig {
  if ((body.strategy_name === undefined) === (body.strategy_yaml === undefined)) {
    throw InvalidRequestError.field('strategy_name', 'give exactly one of strategy_name or strategy_yaml');
  }
  if (body.strategy_name !== undefined) return loadStrategyOr400(body.strategy_name, strategiesDir);
  try {
    return parseStrategyYaml(body.strategy_yaml!, 'strategy_yaml');
  } catch (err) {
    const e = err as Error & { issues?: { path: string; message: string }[] };
    throw new InvalidRequestError(
      e.issues?.map((i) => ({ path: `strategy_yaml: ${i.path}`, message: i.message })) ?? [{ path: 'strategy_yaml', message: e.message }],
    );
  }
}
