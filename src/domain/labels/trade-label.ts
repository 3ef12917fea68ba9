/**
 * The three classes the model predicts for every bar. The numeric values are the class indices
 * of the network's softmax output (column 0 = BUY, 1 = HOLD, 2 = SELL), so they are part of the
 * model-bundle contract and must never be renumbered.
 */
export const TradeLabel = {
  BUY: 0,
  HOLD: 1,
  SELL: 2,
} as const;

/** One of {@link TradeLabel}'s values. */
export type TradeLabel = (typeof TradeLabel)[keyof typeof TradeLabel];

/** Number of classes (softmax width). */
export const TRADE_LABEL_COUNT = 3;

/** Class names in class-index order, for reports and metrics. */
export const TRADE_LABEL_NAMES: readonly ['BUY', 'HOLD', 'SELL'] = ['BUY', 'HOLD', 'SELL'];
