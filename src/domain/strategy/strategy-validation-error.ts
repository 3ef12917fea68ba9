/** One problem found in a strategy: where (`fuzzy_sets.rsi_14.indicator`) and what. */
export interface StrategyIssue {
  /** Dotted path into the document, with `[i]` for list items; '' for the document itself. */
  readonly path: string;
  readonly message: string;
}

/**
 * A strategy document is malformed or inconsistent. Carries every issue found, not just the
 * first, so a user can fix a file in one pass; the message lists them one per line.
 */
export class StrategyValidationError extends Error {
  readonly code = 'STRATEGY_INVALID';
  readonly issues: readonly StrategyIssue[];
  /** File or name the document came from, when known. */
  readonly source: string | undefined;

  constructor(issues: readonly StrategyIssue[], source?: string, options?: ErrorOptions) {
    const head = `invalid strategy${source ? ` '${source}'` : ''} (${issues.length} issue${issues.length === 1 ? '' : 's'}):`;
    super([head, ...issues.map(formatIssue)].join('\n'), options);
    this.name = 'StrategyValidationError';
    this.issues = issues;
    this.source = source;
  }
}

function formatIssue(issue: StrategyIssue): string {
  return `  ${issue.path === '' ? '(document)' : issue.path}: ${issue.message}`;
}
