/** One problem with an indicator spec; `path` is relative to the spec (`period`, `source`, `type`). */
export interface IndicatorSpecIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * An indicator spec that cannot be computed: unknown type, unknown or misspelled parameter,
 * a period that is not an integer >= 1, `fast_period >= slow_period`, an unknown source.
 * `issues` lists every problem; the message joins them for humans.
 */
export class InvalidIndicatorSpecError extends Error {
  readonly code = 'INDICATOR_SPEC_INVALID';

  constructor(
    /** The spec's `type` as written. */
    readonly indicatorType: string,
    readonly issues: readonly IndicatorSpecIssue[],
    options?: ErrorOptions,
  ) {
    super(
      `invalid indicator spec (type '${indicatorType}'): ` + issues.map((i) => `${i.path}: ${i.message}`).join('; '),
      options,
    );
    this.name = 'InvalidIndicatorSpecError';
  }
}
