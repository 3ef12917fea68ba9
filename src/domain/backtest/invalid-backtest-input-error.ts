/**
 * Thrown when a backtest's configuration or inputs are unusable: a value out of range, a
 * probability matrix whose length does not match the bars, a start index past the data.
 * It is a caller error (the request was wrong), never a transient failure.
 */
export class InvalidBacktestInputError extends Error {
  /** Stable code a CLI or HTTP layer can switch on. */
  readonly code = 'INVALID_BACKTEST_INPUT' as const;

  /**
   * @param field - the config field or input that is wrong (e.g. `positionSizePct`, `probabilities`)
   * @param message - what is wrong with it
   */
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`invalid backtest input '${field}': ${message}`);
    this.name = new.target.name;
  }
}
