/**
 * Every default the strategy validator fills in, in one place (documented in docs/strategies.md).
 */
export const STRATEGY_DEFAULTS = {
  version: '3.0',
  description: '',
  historyRequired: 200,
  model: {
    type: 'mlp',
    hiddenLayers: [64, 32] as readonly number[],
    activation: 'relu',
    dropout: 0.2,
  },
  decisions: {
    mode: 'neural',
    outputFormat: 'classification',
    confidenceThreshold: 0.6,
    positionAwareness: true,
    minSignalSeparation: 4,
  },
  training: {
    epochs: 100,
    batchSize: 32,
    learningRate: 0.001,
    labelSource: 'zigzag',
    zigzagThreshold: 0.01,
    labelLookahead: 20,
    dataSplit: { train: 0.7, validation: 0.15, test: 0.15 },
    earlyStoppingPatience: 10,
    earlyStoppingMinDelta: 0,
  },
  trading: {
    allowShort: false,
    onOppositeSignal: 'close',
    positionSizeFraction: 0.25,
    maintenanceMargin: 0.25,
  },
} as const;

/** Tolerance when checking that data_split sums to 1. */
export const DATA_SPLIT_TOLERANCE = 1e-6;
