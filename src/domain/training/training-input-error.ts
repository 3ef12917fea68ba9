/**
 * The data or settings handed to training cannot be trained on (shape mismatch, bad split
 * fractions, too few usable rows, bad hyper-parameter). The message names the problem.
 */
export class TrainingInputError extends Error {
  readonly code = 'TRAINING_INPUT_INVALID';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TrainingInputError';
  }
}
