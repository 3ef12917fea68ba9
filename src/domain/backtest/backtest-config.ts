import { timeframeToMs } from '../data/timeframe.js';
import { InvalidBacktestInputError } from './invalid-backtest-input-error.js';

/**
 * Tunables of one backtest run. Every field is optional; {@link resolveBacktestConfig} fills the
 * defaults and validates. Ratios are fractions (0.001 = 0.1 %), never percentages.
 */
export interface BacktestConfig {
  /** Cash at the start, in account currency. @defaultValue 100000 */
  initialCapital?: number;
  /**
   * Commission as a fraction of traded notional (quantity × fill price), charged on the entry
   * AND on the exit of every trade. @defaultValue 0.001
   */
  commission?: number;
  /**
   * Slippage as a fraction of the reference price: buys (long entry, short exit) fill at
   * `price × (1 + slippage)`, sells (long exit, short entry) at `price × (1 − slippage)`.
   * @defaultValue 0.0005
   */
  slippage?: number;
  /**
   * Fraction of AVAILABLE capital (the cash held at the moment of entry) committed to a new
   * position: `quantity = positionSizePct × cash / fillPrice`. In (0, 1]. @defaultValue 0.25
   */
  positionSizePct?: number;
  /**
   * Minimum probability of the winning class; a bar whose largest class probability is below it
   * is treated as HOLD. In [0, 1]. @defaultValue 0.5
   */
  confidenceThreshold?: number;
  /**
   * Minimum distance, in bars, between the decision bars of two executed signals: a signal
   * decided on bar t is ignored when `t − tLastExecuted < minSignalSeparation`. 0 and 1 both
   * mean "no filter". Signals that were ignored (HOLD, filtered, already in that position) do not
   * reset the clock. @defaultValue 0
   */
  minSignalSeparation?: number;
  /**
   * When true, a signal opposite to the open position reverses it (close, then open the other
   * side at the same fill); when false it only closes the position. A signal in the direction of
   * the open position is ignored either way. @defaultValue true
   */
  positionAwareness?: boolean;
  /** Whether SELL may open a short position. When false, SELL only closes longs. @defaultValue true */
  allowShort?: boolean;
  /**
   * First bar whose close may produce a signal (after feature warm-up and the requested start
   * date); its first possible fill is at bar `startIndex + 1`'s open. Metrics are computed over
   * bars `startIndex … last`. @defaultValue 0
   */
  startIndex?: number;
  /**
   * Bar timeframe (`1h`, `1d`, …) used for annualisation and for the close time of the last bar.
   * @defaultValue the series' own timeframe
   */
  timeframe?: string;
}

/** A {@link BacktestConfig} with every default filled in and validated. */
export type ResolvedBacktestConfig = Required<BacktestConfig>;

/** Defaults of every field except `timeframe`, which comes from the series. */
export const BACKTEST_CONFIG_DEFAULTS: Readonly<Omit<ResolvedBacktestConfig, 'timeframe'>> = Object.freeze({
  initialCapital: 100_000,
  commission: 0.001,
  slippage: 0.0005,
  positionSizePct: 0.25,
  confidenceThreshold: 0.5,
  minSignalSeparation: 0,
  positionAwareness: true,
  allowShort: true,
  startIndex: 0,
});

function isValidTimeframe(timeframe: string): boolean {
  try {
    timeframeToMs(timeframe);
    return true;
  } catch {
    return false; // malformed or zero-length: reported as an InvalidBacktestInputError below
  }
}

function check(ok: boolean, field: string, message: string): void {
  if (!ok) throw new InvalidBacktestInputError(field, message);
}

/**
 * Fills defaults into `config` and validates every field.
 *
 * @param config - caller's partial config
 * @param seriesTimeframe - timeframe of the bars, used when `config.timeframe` is absent
 * @throws {@link InvalidBacktestInputError} when a field is out of range
 */
export function resolveBacktestConfig(config: BacktestConfig, seriesTimeframe: string): ResolvedBacktestConfig {
  const defined = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
  const c: ResolvedBacktestConfig = { ...BACKTEST_CONFIG_DEFAULTS, timeframe: seriesTimeframe, ...defined };
  check(Number.isFinite(c.initialCapital) && c.initialCapital > 0, 'initialCapital', 'must be a finite number > 0');
  check(Number.isFinite(c.commission) && c.commission >= 0 && c.commission < 1, 'commission', 'must be in [0, 1)');
  check(Number.isFinite(c.slippage) && c.slippage >= 0 && c.slippage < 1, 'slippage', 'must be in [0, 1)');
  check(Number.isFinite(c.positionSizePct) && c.positionSizePct > 0 && c.positionSizePct <= 1, 'positionSizePct', 'must be in (0, 1]');
  check(c.confidenceThreshold >= 0 && c.confidenceThreshold <= 1, 'confidenceThreshold', 'must be in [0, 1]');
  check(Number.isInteger(c.minSignalSeparation) && c.minSignalSeparation >= 0, 'minSignalSeparation', 'must be an integer ≥ 0');
  check(Number.isInteger(c.startIndex) && c.startIndex >= 0, 'startIndex', 'must be an integer ≥ 0');
  check(typeof c.positionAwareness === 'boolean', 'positionAwareness', 'must be a boolean');
  check(typeof c.allowShort === 'boolean', 'allowShort', 'must be a boolean');
  check(typeof c.timeframe === 'string' && isValidTimeframe(c.timeframe), 'timeframe', `'${String(c.timeframe)}' is not a timeframe like 1h or 1d`);
  return c;
}
