/** No strategy file of that name (or at that path) exists. */
export class StrategyNotFoundError extends Error {
  readonly code = 'STRATEGY_NOT_FOUND';

  /**
   * @param strategy - the name or path that was asked for
   * @param strategiesDir - the directory searched
   * @param available - strategy names that do exist there, sorted
   */
  constructor(
    readonly strategy: string,
    readonly strategiesDir: string,
    readonly available: readonly string[],
  ) {
    super(
      `strategy '${strategy}' not found in ${strategiesDir}; available: ${available.length > 0 ? available.join(', ') : '(none)'}`,
    );
    this.name = 'StrategyNotFoundError';
  }
}
