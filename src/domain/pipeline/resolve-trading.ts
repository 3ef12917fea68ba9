import { ASSET_CLASS_COSTS, assetClassOf, defaultPipSize, type AssetClass } from '../backtest/asset-class-costs.js';
import type { BacktestConfig } from '../backtest/backtest-config.js';
import { timeframeToMs } from '../data/timeframe.js';
import type { CostsConfig, PositionSizeConfig, SignalSeparationConfig, StrategyConfig } from '../strategy/strategy-config.js';

/** Per-request overrides of the strategy's `trading:` block (API / CLI). */
export interface TradingOverrides {
  /** Commission as a fraction of the notional per fill (0.0001 = 1 bp). */
  commission?: number | undefined;
  /** Slippage as a fraction of the price per fill. */
  slippage?: number | undefined;
  fee_per_trade?: number | undefined;
  allow_short?: boolean | undefined;
  on_opposite_signal?: 'close' | 'reverse' | undefined;
  /** Fraction of equity in (0, 1]. */
  position_size?: number | undefined;
  /** Fixed units (wins over position_size). */
  position_units?: number | undefined;
  /** Bars (number) or a duration since the last fill ('4h'). */
  min_signal_separation?: number | string | undefined;
}

/** Where a cost figure came from. */
export type CostSource = 'request' | 'strategy:symbol' | 'strategy' | 'default';

/** The costs a backtest used, as printed in its result. */
export interface CostReport {
  asset_class: AssetClass;
  /** Commission per fill as a fraction of the notional. */
  commission: number;
  commission_bps: number;
  /** Slippage per fill as a fraction of the price. */
  slippage: number;
  slippage_bps: number;
  slippage_pips: number;
  pip_size: number;
  /** slippage_pips × pip_size: absolute price slippage per fill. */
  slippage_price: number;
  fee_per_trade: number;
  sources: { commission: CostSource; slippage: CostSource; fee_per_trade: CostSource };
}

/** The position semantics a backtest used, as printed in its result. */
export interface TradingReport {
  allow_short: boolean;
  on_opposite_signal: 'close' | 'reverse';
  position_size: PositionSizeConfig;
  min_signal_separation: SignalSeparationConfig;
  maintenance_margin: number;
  confidence_threshold: number;
}

/** Engine config fields derived from the strategy, the symbol and the overrides. */
export interface ResolvedTrading {
  config: Pick<Required<BacktestConfig>, 'commission' | 'slippage' | 'slippagePrice' | 'feePerTrade' | 'allowShort' | 'onOppositeSignal' | 'positionSizing' | 'positionSize' | 'minSignalSeparation' | 'minSignalSeparationMs' | 'maintenanceMargin' | 'confidenceThreshold'>;
  costs: CostReport;
  trading: TradingReport;
}

const BPS = 1e-4;

function parseSeparation(value: number | string): SignalSeparationConfig {
  if (typeof value === 'number') return { bars: value };
  const m = /^([0-9]+)\s*bars?$/.exec(value.trim());
  return m ? { bars: Number(m[1]) } : { duration: value.trim() };
}

/**
 * Resolves costs (request > strategy per-symbol > strategy > asset-class default, field by field;
 * slippage bps and pips count as one field)
 * and position semantics (request > `trading:` block > defaults) for one symbol.
 */
export function resolveTrading(strategy: StrategyConfig, symbol: string, overrides: TradingOverrides = {}): ResolvedTrading {
  const assetClass = assetClassOf(symbol);
  const defaults = ASSET_CLASS_COSTS[assetClass];
  const t = strategy.trading;
  const perSymbol: CostsConfig = t.costs?.symbols?.[symbol.toUpperCase()] ?? {};
  const base: CostsConfig = t.costs ?? {};
  const pick = <K extends keyof CostsConfig>(key: K): [number | undefined, CostSource] =>
    perSymbol[key] !== undefined ? [perSymbol[key], 'strategy:symbol'] : base[key] !== undefined ? [base[key], 'strategy'] : [undefined, 'default'];

  const [commissionBps, commissionSrc] = pick('commission_bps');
  const [feeCfg, feeSrc] = pick('fee_per_trade');
  const pipSize = perSymbol.pip_size ?? base.pip_size ?? defaultPipSize(symbol);

  // Slippage is taken whole (bps and pips together) from the most specific level that sets either.
  const hasSlip = (c: CostsConfig) => c.slippage_bps !== undefined || c.slippage_pips !== undefined;
  const slipLevel: [CostsConfig, CostSource] | undefined = hasSlip(perSymbol) ? [perSymbol, 'strategy:symbol'] : hasSlip(base) ? [base, 'strategy'] : undefined;
  let slippage = slipLevel ? (slipLevel[0].slippage_bps ?? 0) * BPS : defaults.slippage_bps * BPS;
  let pips = slipLevel ? (slipLevel[0].slippage_pips ?? 0) : defaults.slippage_pips;
  let slipSrc: CostSource = slipLevel ? slipLevel[1] : 'default';
  if (overrides.slippage !== undefined) {
    slippage = overrides.slippage;
    pips = 0;
    slipSrc = 'request';
  }
  let commission = (commissionBps ?? defaults.commission_bps) * BPS;
  let comSrc: CostSource = commissionSrc;
  if (overrides.commission !== undefined) {
    commission = overrides.commission;
    comSrc = 'request';
  }
  let fee = feeCfg ?? defaults.fee_per_trade;
  let feeSource: CostSource = feeSrc;
  if (overrides.fee_per_trade !== undefined) {
    fee = overrides.fee_per_trade;
    feeSource = 'request';
  }

  const positionSize: PositionSizeConfig =
    overrides.position_units !== undefined ? { units: overrides.position_units }
    : overrides.position_size !== undefined ? { fraction: overrides.position_size }
    : t.position_size;
  const separation: SignalSeparationConfig =
    overrides.min_signal_separation !== undefined ? parseSeparation(overrides.min_signal_separation)
    : t.min_signal_separation ?? { bars: strategy.decisions.filters.min_signal_separation };
  const allowShort = overrides.allow_short ?? t.allow_short;
  const onOpposite = overrides.on_opposite_signal ?? t.on_opposite_signal;

  return {
    config: {
      commission,
      slippage,
      slippagePrice: pips * pipSize,
      feePerTrade: fee,
      allowShort,
      onOppositeSignal: onOpposite,
      positionSizing: 'units' in positionSize ? 'units' : 'fraction',
      positionSize: 'units' in positionSize ? positionSize.units : positionSize.fraction,
      minSignalSeparation: 'bars' in separation ? separation.bars : 0,
      minSignalSeparationMs: 'duration' in separation ? timeframeToMs(separation.duration) : 0,
      maintenanceMargin: t.maintenance_margin,
      confidenceThreshold: strategy.decisions.confidence_threshold,
    },
    costs: {
      asset_class: assetClass,
      commission,
      commission_bps: commission / BPS,
      slippage,
      slippage_bps: slippage / BPS,
      slippage_pips: pips,
      pip_size: pipSize,
      slippage_price: pips * pipSize,
      fee_per_trade: fee,
      sources: { commission: comSrc, slippage: slipSrc, fee_per_trade: feeSource },
    },
    trading: {
      allow_short: allowShort,
      on_opposite_signal: onOpposite,
      position_size: positionSize,
      min_signal_separation: separation,
      maintenance_margin: t.maintenance_margin,
      confidence_threshold: strategy.decisions.confidence_threshold,
    },
  };
}
