import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from './tf-backend.js';

/** Hidden-layer activations an MLP may use (the strategy's `model.architecture.activation`). */
export type MlpActivation = 'relu' | 'tanh' | 'sigmoid' | 'leaky_relu';

/** Activations {@link buildMlp} accepts, for validating configs. */
export const MLP_ACTIVATIONS: readonly MlpActivation[] = ['relu', 'tanh', 'sigmoid', 'leaky_relu'];

/** Shape of the network (maps from the strategy's `model.architecture`). */
export interface MlpSpec {
  /** Units of each hidden layer, input side first, e.g. `[64, 32]`. May be empty (= softmax regression). */
  readonly hiddenLayers: readonly number[];
  /** Activation after each hidden layer. */
  readonly activation: MlpActivation;
  /** Dropout rate in [0, 1) after each hidden layer; 0 adds no dropout layer. */
  readonly dropout: number;
}

/** Inputs of {@link buildMlp} besides the spec. */
export interface BuildMlpOptions {
  /** Number of input features (columns). */
  readonly inputSize: number;
  /** Softmax width. @defaultValue 3 (BUY, HOLD, SELL) */
  readonly numClasses?: number;
  /**
   * Seed for the weight initialisers, so two builds with the same seed start identical.
   * Random (unseeded) when omitted. Dropout masks are seeded per batch by `trainModel`.
   */
  readonly seed?: number;
  /** Slope of leaky_relu for negative inputs. @defaultValue 0.01 */
  readonly leakyAlpha?: number;
}

/** The MLP's spec is unusable (bad layer size, activation or dropout). */
export class MlpSpecError extends Error {
  readonly code = 'MLP_SPEC_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'MlpSpecError';
  }
}

/**
 * Builds the classifier: `Dense(h, act) [→ Dropout]` for each hidden layer, then
 * `Dense(numClasses, softmax)`. `leaky_relu` is a linear Dense followed by a LeakyReLU layer,
 * since tfjs has no `leakyRelu` activation string. The model is not compiled; training drives
 * its own optimiser (see `trainModel`).
 *
 * @throws MlpSpecError when the spec is invalid.
 */
export function buildMlp(tf: Tf, spec: MlpSpec, options: BuildMlpOptions): tfjs.Sequential {
  const { inputSize, numClasses = 3, seed, leakyAlpha = 0.01 } = options;
  if (!(Number.isInteger(inputSize) && inputSize >= 1)) {
    throw new MlpSpecError(`input size must be a positive integer, got ${inputSize}`);
  }
  if (!(Number.isInteger(numClasses) && numClasses >= 2)) {
    throw new MlpSpecError(`number of classes must be an integer ≥ 2, got ${numClasses}`);
  }
  for (const units of spec.hiddenLayers) {
    if (!(Number.isInteger(units) && units >= 1)) {
      throw new MlpSpecError(`hidden layer sizes must be positive integers, got ${units}`);
    }
  }
  if (!MLP_ACTIVATIONS.includes(spec.activation)) {
    throw new MlpSpecError(`activation must be one of ${MLP_ACTIVATIONS.join(', ')}, got '${spec.activation}'`);
  }
  if (!(Number.isFinite(spec.dropout) && spec.dropout >= 0 && spec.dropout < 1)) {
    throw new MlpSpecError(`dropout must be in [0, 1), got ${spec.dropout}`);
  }

  let layerSeed = seed;
  // Each layer gets its own seed; the same seed everywhere would give every layer the same pattern.
  const kernelInitializer = () =>
    layerSeed === undefined ? 'glorotUniform' : tf.initializers.glorotUniform({ seed: layerSeed++ });

  const model = tf.sequential();
  spec.hiddenLayers.forEach((units, i) => {
    const isLeaky = spec.activation === 'leaky_relu';
    model.add(
      tf.layers.dense({
        units,
        activation: isLeaky ? 'linear' : spec.activation,
        kernelInitializer: kernelInitializer(),
        ...(i === 0 ? { inputShape: [inputSize] } : {}),
      }),
    );
    if (isLeaky) model.add(tf.layers.leakyReLU({ alpha: leakyAlpha }));
    if (spec.dropout > 0) model.add(tf.layers.dropout({ rate: spec.dropout }));
  });
  model.add(
    tf.layers.dense({
      units: numClasses,
      activation: 'softmax',
      kernelInitializer: kernelInitializer(),
      ...(spec.hiddenLayers.length === 0 ? { inputShape: [inputSize] } : {}),
    }),
  );
  return model;
}
