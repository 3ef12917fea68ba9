/**
 * One closed round trip. Field names are the wire's snake_case; money is in account currency,
 * prices are FILL prices (slippage included).
 */
export interface BacktestTrade {
  /** 1-based, in order of exit. */
  readonly trade_id: number;
  readonly side: 'long' | 'short';
  /** ISO-8601 UTC time of the entry fill: the open time of the bar after the signal bar. */
  readonly entry_time: string;
  /** Entry fill price: open × (1 + slippage) for a long, open × (1 − slippage) for a short. */
  readonly entry_price: number;
  /**
   * ISO-8601 UTC time of the exit fill: a bar's open time for a signal exit, or the CLOSE time of
   * the last bar (its open time + one bar) for the forced exit at the end of the data.
   */
  readonly exit_time: string;
  /** Exit fill price: price × (1 − slippage) for a long, price × (1 + slippage) for a short. */
  readonly exit_price: number;
  /** Units held; fractional (no lot rounding). */
  readonly quantity: number;
  /** `(exit − entry) × quantity` for a long, `(entry − exit) × quantity` for a short, at fill prices. */
  readonly gross_pnl: number;
  /** Entry commission + exit commission: `(entry notional + exit notional) × commission`. */
  readonly commission: number;
  /** `gross_pnl − commission`: the trade's exact effect on cash. */
  readonly net_pnl: number;
  /** `(exit_time − entry_time)` in hours. */
  readonly holding_period_hours: number;
  /**
   * Maximum favourable excursion, in currency, ≥ 0: the best unrealised gross P&L the bar
   * extremes offered while the trade was open, `(max high − entry) × quantity` for a long,
   * `(entry − min low) × quantity` for a short, floored at 0.
   */
  readonly mfe: number;
  /**
   * Maximum adverse excursion, in currency, ≥ 0 (a magnitude): `(entry − min low) × quantity`
   * for a long, `(max high − entry) × quantity` for a short, floored at 0.
   */
  readonly mae: number;
  /**
   * Why the position was closed: `signal` (an opposite signal, filled at a bar's open),
   * `end_of_data` (forced exit at the last bar's close) or `liquidation` (the margin rule, at the
   * liquidation price or at the bar's open when the price gapped through it).
   */
  readonly exit_reason: 'signal' | 'end_of_data' | 'liquidation';
}
