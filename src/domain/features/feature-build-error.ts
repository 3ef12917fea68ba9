/**
 * The data handed to the feature builder cannot produce the strategy's features: a timeframe's
 * series is missing or mislabelled, bar times are not increasing, or an indicator lacks an output.
 */
export class FeatureBuildError extends Error {
  readonly code = 'FEATURE_BUILD_FAILED';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FeatureBuildError';
  }
}
