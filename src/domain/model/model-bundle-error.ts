/**
 * Codes a {@link ModelBundleError} can carry.
 *
 * - `MODEL_BUNDLE_NOT_FOUND`: no bundle (or no `_latest` pointer) at the given path.
 * - `MODEL_BUNDLE_INVALID`: a bundle file is missing, unreadable or inconsistent (corrupt JSON,
 *   weights of the wrong size, feature count ≠ model input width).
 * - `MODEL_BUNDLE_WRITE_FAILED`: saving failed; nothing was published and `_latest` is unchanged.
 * - `MODEL_BUNDLE_CONFLICT`: another bundle (different content) already holds that version.
 */
export type ModelBundleErrorCode = 'MODEL_BUNDLE_NOT_FOUND' | 'MODEL_BUNDLE_INVALID' | 'MODEL_BUNDLE_WRITE_FAILED' | 'MODEL_BUNDLE_CONFLICT';

/** A model bundle could not be found, read or written. `path` names the file or folder. */
export class ModelBundleError extends Error {
  constructor(
    readonly code: ModelBundleErrorCode,
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ModelBundleError';
  }
}
