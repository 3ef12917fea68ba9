/**
 * Thrown by the backtest engine when its `isCancelled()` hook returns true. A job runner should
 * report the operation as cancelled, not failed.
 */
export class BacktestCancelledError extends Error {
  /** Stable code a CLI or HTTP layer can switch on. */
  readonly code = 'BACKTEST_CANCELLED' as const;

  /**
   * @param barsDone - bars the loop had processed when it noticed the cancellation
   * @param barsTotal - bars it would have processed in all
   */
  constructor(
    readonly barsDone: number,
    readonly barsTotal: number,
  ) {
    super(`backtest cancelled after ${barsDone} of ${barsTotal} bars`);
    this.name = new.target.name;
  }
}
