import { timeframeToMs } from '../data/timeframe.js';
import { InvalidBacktestInputError } from './invalid-backtest-input-error.js';

/** What a signal opposite to the open position does. */
export type OppositeSignalAction = 'close' | 'reverse';
/** How {@link BacktestConfig.positionSize} is read. */
export type PositionSizing = 'fraction' | 'units';

/**
 * Tunables of one backtest run. Every field is optional; {@link resolveBacktestConfig} fills the
 * defaults and validates. Ratios are fractions (0.001 = 0.1 %), never percentages.
 * Conventions and defaults: docs/backtest-engine.md.
 */
export interface BacktestConfig {
  /** Cash at the start, in account currency. @defaultValue 100000 */
  initialCapital?: number;
  /**
   * Commission as a fraction of traded notional (quantity × fill price), charged on the entry
   * AND on the exit of every trade. @defaultValue 0.001
   */
  commission?: number;
  /** Fixed fee in account currency charged on every fill (entry and exit). @defaultValue 0 */
  feePerTrade?: number;
  /**
   * Slippage as a fraction of the reference price: buys (long entry, short exit) fill at
   * `price × (1 + slippage) + slippagePrice`, sells at `price × (1 − slippage) − slippagePrice`.
   * @defaultValue 0.0005
   */
  slippage?: number;
  /** Absolute slippage in price units added against the trader on every fill (FX pips × pip size). @defaultValue 0 */
  slippagePrice?: number;
  /**
   * `fraction`: {@link positionSize} is the fraction of equity (= cash, since positions open only
   * when flat) committed to a new position; `units`: it is a fixed quantity. @defaultValue 'fraction'
   */
  positionSizing?: PositionSizing;
  /**
   * In (0, 1] for `fraction`, > 0 for `units`. Either way the entry's notional plus its costs never
   * exceeds the cash at entry (no leverage): a larger quantity is cut down to what the cash pays.
   * @defaultValue 0.25
   */
  positionSize?: number;
  /**
   * Minimum probability of the winning class; a bar whose largest class probability is below it
   * is treated as HOLD. In [0, 1]. @defaultValue 0.5
   */
  confidenceThreshold?: number;
  /**
   * Minimum distance, in bars, between the decision bars of two executed signals: a signal
   * decided on bar t is ignored when `t − tLastExecuted < minSignalSeparation`. 0 and 1 both
   * mean "no filter". Signals that were ignored do not reset the clock. @defaultValue 0
   */
  minSignalSeparation?: number;
  /**
   * Minimum time, in ms, from the last fill to the decision moment (the signal bar's CLOSE) for a
   * new signal to execute (KTRDR's hours-since-last-trade rule). 0 = no filter. @defaultValue 0
   */
  minSignalSeparationMs?: number;
  /**
   * A signal opposite to the open position: `close` only closes it (KTRDR); `reverse` closes it
   * and opens the other side at the same fill (when that side is allowed). A signal in the
   * direction of the open position is ignored either way. @defaultValue 'close'
   */
  onOppositeSignal?: OppositeSignalAction;
  /** Whether SELL may open a short position. When false, SELL only closes longs. @defaultValue false */
  allowShort?: boolean;
  /**
   * Margin rule: an open position is liquidated as soon as the bar's adverse extreme brings equity
   * (net of exit costs) down to `maintenanceMargin × position value`; the run then opens no more
   * positions. In [0, 0.9]. @defaultValue 0.25
   */
  maintenanceMargin?: number;
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
  feePerTrade: 0,
  slippage: 0.0005,
  slippagePrice: 0,
  positionSizing: 'fraction',
  positionSize: 0.25,
  confidenceThreshold: 0.5,
  minSignalSeparation: 0,
  minSignalSeparationMs: 0,
  onOppositeSignal: 'close',
  allowShort: false,
  maintenanceMargin: 0.25,
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

const finiteAtLeast0 = (x: number) => Number.isFinite(x) && x >= 0;

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
  check(finiteAtLeast0(c.feePerTrade), 'feePerTrade', 'must be a finite number ≥ 0');
  check(Number.isFinite(c.slippage) && c.slippage >= 0 && c.slippage < 1, 'slippage', 'must be in [0, 1)');
  check(finiteAtLeast0(c.slippagePrice), 'slippagePrice', 'must be a finite number ≥ 0');
  check(c.positionSizing === 'fraction' || c.positionSizing === 'units', 'positionSizing', "must be 'fraction' or 'units'");
  if (c.positionSizing === 'fraction') {
    check(Number.isFinite(c.positionSize) && c.positionSize > 0 && c.positionSize <= 1, 'positionSize', 'must be in (0, 1] (a fraction of equity)');
  } else {
    check(Number.isFinite(c.positionSize) && c.positionSize > 0, 'positionSize', 'must be a number of units > 0');
  }
  check(c.confidenceThreshold >= 0 && c.confidenceThreshold <= 1, 'confidenceThreshold', 'must be in [0, 1]');
  check(Number.isInteger(c.minSignalSeparation) && c.minSignalSeparation >= 0, 'minSignalSeparation', 'must be an integer ≥ 0 (bars)');
  check(finiteAtLeast0(c.minSignalSeparationMs), 'minSignalSeparationMs', 'must be a duration in ms ≥ 0');
  check(c.onOppositeSignal === 'close' || c.onOppositeSignal === 'reverse', 'onOppositeSignal', "must be 'close' or 'reverse'");
  check(typeof c.allowShort === 'boolean', 'allowShort', 'must be a boolean');
  check(Number.isFinite(c.maintenanceMargin) && c.maintenanceMargin >= 0 && c.maintenanceMargin <= 0.9, 'maintenanceMargin', 'must be in [0, 0.9]');
  check((1 - c.slippage) * (1 - c.commission) > c.maintenanceMargin, 'maintenanceMargin', 'must be below (1 − slippage) × (1 − commission)');
  check(Number.isInteger(c.startIndex) && c.startIndex >= 0, 'startIndex', 'must be an integer ≥ 0');
  check(typeof c.timeframe === 'string' && isValidTimeframe(c.timeframe), 'timeframe', `'${String(c.timeframe)}' is not a timeframe like 1h or 1d`);
  return c;
}
