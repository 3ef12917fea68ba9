/** Asset classes with their own default costs. */
export type AssetClass = 'fx' | 'equity' | 'crypto';

/** Default per-fill costs of one asset class (every number per side: entry and exit each pay it). */
export interface AssetClassCosts {
  /** Commission in basis points of the notional. */
  readonly commission_bps: number;
  /** Slippage in basis points of the price. */
  readonly slippage_bps: number;
  /** Slippage in pips (FX only; 0 elsewhere). */
  readonly slippage_pips: number;
  /** Fixed fee per fill, in account currency. */
  readonly fee_per_trade: number;
}

/**
 * Realistic retail defaults per asset class (docs/backtest-engine.md, "Costs"):
 * - fx: ECN-style commission ≈ 3 per 100 000 notional per side (0.3 bps) and half a 1-pip spread
 *   (0.5 pip) of slippage: ≈ 0.75 bps per side on EURUSD, ≈ 1.5 bps per round trip.
 * - equity (stocks, ETFs, indices): 1 bp commission and 2 bps slippage per side.
 * - crypto: 10 bps taker fee and 5 bps slippage per side.
 */
export const ASSET_CLASS_COSTS: Readonly<Record<AssetClass, AssetClassCosts>> = Object.freeze({
  fx: { commission_bps: 0.3, slippage_bps: 0, slippage_pips: 0.5, fee_per_trade: 0 },
  equity: { commission_bps: 1, slippage_bps: 2, slippage_pips: 0, fee_per_trade: 0 },
  crypto: { commission_bps: 10, slippage_bps: 5, slippage_pips: 0, fee_per_trade: 0 },
});

const CURRENCIES = new Set([
  'USD', 'EUR', 'JPY', 'GBP', 'CHF', 'AUD', 'NZD', 'CAD', 'SEK', 'NOK', 'DKK', 'SGD', 'HKD', 'MXN',
  'ZAR', 'TRY', 'PLN', 'CNH', 'CZK', 'HUF', 'ILS', 'XAU', 'XAG',
]);
const CRYPTO = /^(BTC|ETH|SOL|XRP|ADA|DOGE|LTC|BNB|DOT|AVAX|LINK|XBT|USDT|MATIC|TRX|BCH)/;

/**
 * Asset class of a symbol: `fx` for six letters made of two currency codes (EURUSD, EUR/USD,
 * EUR_USD), `crypto` for a known coin prefix or a USDT/USDC quote, otherwise `equity`.
 */
export function assetClassOf(symbol: string): AssetClass {
  const s = symbol.toUpperCase().replace(/[/_.-]/g, '');
  if (s.length === 6 && CURRENCIES.has(s.slice(0, 3)) && CURRENCIES.has(s.slice(3))) return 'fx';
  if (CRYPTO.test(s) || /USD[TC]$/.test(s)) return 'crypto';
  return 'equity';
}

/** Default pip size: 0.01 for JPY-quoted pairs, 0.0001 otherwise. */
export function defaultPipSize(symbol: string): number {
  return symbol.toUpperCase().replace(/[/_.-]/g, '').endsWith('JPY') ? 0.01 : 0.0001;
}
