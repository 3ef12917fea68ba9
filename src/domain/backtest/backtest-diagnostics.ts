/**
 * What happened to the signals of one backtest, counted over its decision bars
 * (`startIndex … last − 1`; the last bar decides nothing). Every decision bar falls in exactly one
 * of `hold`, `below_threshold`, `already_in_position`, `short_not_allowed`, `no_capital`,
 * `by_separation` and `executed`, checked in that order.
 */
export interface SignalDiagnostics {
  /** Decision bars. */
  decision_bars: number;
  /** Bars whose strictly largest probability is BUY / HOLD / SELL, before any filter (ties and NaN rows count as HOLD). */
  raw_buy: number;
  raw_hold: number;
  raw_sell: number;
  /** Raw HOLD bars (they ask for nothing). */
  hold: number;
  /** BUY/SELL bars whose winning probability is below the confidence threshold. */
  below_threshold: number;
  /** Signals in the direction of the position already held. */
  already_in_position: number;
  /** SELL while flat with `allow_short: false`. */
  short_not_allowed: number;
  /** Signals that would open a position after a liquidation or with no cash left. */
  no_capital: number;
  /** Signals dropped by `min_signal_separation` (bars or duration). */
  by_separation: number;
  /** Signals that changed the position (entries, exits, reversals). */
  executed: number;
  /** Highest BUY / SELL probability seen on a decision bar (0 when none was a number). */
  max_buy_probability: number;
  max_sell_probability: number;
  /** Positions closed by the margin rule. */
  liquidations: number;
}

/** One sentence per reason a run made no trade; empty when it made trades. */
export function explainNoTrades(d: SignalDiagnostics, threshold: number, totalTrades: number): string[] {
  if (totalTrades > 0) return [];
  if (d.decision_bars === 0) return ['no bar could produce a signal (the window has fewer than two bars after warm-up)'];
  const out: string[] = [];
  const fmt = (x: number) => x.toFixed(3);
  if (d.raw_buy + d.raw_sell === 0) {
    out.push(`every one of the ${d.decision_bars} decision bars was HOLD (highest BUY probability ${fmt(d.max_buy_probability)}, highest SELL ${fmt(d.max_sell_probability)})`);
  }
  if (d.below_threshold > 0) {
    out.push(`${d.below_threshold} BUY/SELL signals were below the confidence threshold ${threshold} (highest BUY probability ${fmt(d.max_buy_probability)}, highest SELL ${fmt(d.max_sell_probability)})`);
  }
  if (d.short_not_allowed > 0) out.push(`${d.short_not_allowed} SELL signals came while flat and allow_short is false`);
  if (d.by_separation > 0) out.push(`${d.by_separation} signals were dropped by min_signal_separation`);
  if (d.no_capital > 0) out.push(`${d.no_capital} signals came when no capital was left to open a position`);
  if (d.executed > 0) out.push(`${d.executed} signals executed but no position was ever opened`);
  return out;
}
