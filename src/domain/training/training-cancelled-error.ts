/**
 * Training stopped because its caller cancelled it (AbortSignal aborted or `isCancelled()`
 * returned true). Report the operation as *cancelled*, not *failed*; nothing was saved.
 */
export class TrainingCancelledError extends Error {
  readonly code = 'TRAINING_CANCELLED';
  /**
   * @param epoch 1-based epoch during which training stopped.
   * @param batch 0-based number of batches of that epoch that had completed.
   */
  constructor(
    readonly epoch: number,
    readonly batch: number,
    options?: ErrorOptions,
  ) {
    super(`Training cancelled in epoch ${epoch} after ${batch} batches`, options);
    this.name = 'TrainingCancelledError';
  }
}
