import type { MembershipFunctionSpec } from '../fuzzy/membership-function.js';
import type { IndicatorSpec } from '../indicators/indicator-spec.js';

/**
 * A validated KTRDR v3 strategy with every default filled in (see docs/strategies.md).
 *
 * Field names keep the YAML spelling (snake_case) so errors, docs and files read the same.
 * Shapes are normalised: a single symbol/timeframe becomes a one-element list, membership
 * shorthands become `{ type, parameters }`, `timeframes: all` is expanded. The normalised form
 * is itself valid input: `validateStrategy(validateStrategy(x))` gives the same config, so it can
 * cross a thread or HTTP boundary as JSON and be re-validated on the other side.
 */
export interface StrategyConfig {
  /** Strategy name (letters, digits, `_`, `-`, `.`). */
  readonly name: string;
  /** Format version as written. @defaultValue '3.0' */
  readonly version: string;
  /** Free text. @defaultValue '' */
  readonly description: string;
  readonly training_data: TrainingDataConfig;
  /** Indicator id → spec, in file order. The type is canonicalised (lower case, aliases resolved). */
  readonly indicators: Readonly<Record<string, IndicatorSpec>>;
  /** Fuzzy set id → definition, in file order. */
  readonly fuzzy_sets: Readonly<Record<string, FuzzySetConfig>>;
  /** Which fuzzy sets, on which timeframes, become features (in this order). */
  readonly nn_inputs: readonly NnInputConfig[];
  readonly model: ModelConfig;
  readonly decisions: DecisionsConfig;
  readonly training: TrainingConfig;
  /** Position semantics and costs of backtests. */
  readonly trading: TradingConfig;
}

/** Where the training data comes from. */
export interface TrainingDataConfig {
  readonly symbols: SymbolsConfig;
  readonly timeframes: TimeframesConfig;
  /** Bars of history a consumer should load before the first bar it acts on. @defaultValue 200 */
  readonly history_required: number;
}

/** `mode: single` has exactly one symbol; `mode: multi_symbol` one or more, no duplicates. */
export interface SymbolsConfig {
  readonly mode: 'single' | 'multi_symbol';
  readonly symbols: readonly string[];
}

/** `mode: single` has exactly one timeframe; `mode: multi_timeframe` one or more, no duplicates. */
export interface TimeframesConfig {
  readonly mode: 'single' | 'multi_timeframe';
  /** Timeframes in the order written (this is the feature order across timeframes). */
  readonly timeframes: readonly string[];
  /** The timeframe whose bars are the rows of the feature matrix. @defaultValue the shortest timeframe */
  readonly base_timeframe: string;
}

/** One fuzzy set: an indicator output and named membership functions over it. */
export interface FuzzySetConfig {
  /** Indicator reference as written: `<indicator id>` (single output) or `<indicator id>.<output>`. */
  readonly indicator: string;
  /** Set name → membership function, in the order written (this is the feature order within the set). */
  readonly sets: Readonly<Record<string, MembershipFunctionSpec>>;
}

/** One entry of `nn_inputs`. */
export interface NnInputConfig {
  readonly fuzzy_set: string;
  /** Timeframes this fuzzy set is computed on, in strategy timeframe order. `all` is expanded. */
  readonly timeframes: readonly string[];
}

/** Hidden-layer activations supported by the model. */
export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'leaky_relu'] as const;
/** One of {@link ACTIVATIONS}. */
export type Activation = (typeof ACTIVATIONS)[number];

/** The neural model. Only a multi-layer perceptron with a softmax output over BUY/HOLD/SELL. */
export interface ModelConfig {
  /** @defaultValue 'mlp' */
  readonly type: 'mlp';
  readonly architecture: {
    /** Units per hidden layer, at least one layer. @defaultValue [64, 32] */
    readonly hidden_layers: readonly number[];
    /** @defaultValue 'relu' */
    readonly activation: Activation;
    /** Dropout rate after each hidden layer, in [0, 1). @defaultValue 0.2 */
    readonly dropout: number;
  };
}

/** How decisions are made from features. */
export type DecisionMode = 'neural' | 'rules';

/** Decision settings, shared by the neural and the rules mode. */
export interface DecisionsConfig {
  /** `neural`: a trained model; `rules`: {@link RulesConfig} with no model. @defaultValue 'neural' */
  readonly mode: DecisionMode;
  /** @defaultValue 'classification' */
  readonly output_format: 'classification';
  /** Minimum winning-class probability to act, in [0, 1]. @defaultValue 0.6 */
  readonly confidence_threshold: number;
  /**
   * Accepted for KTRDR compatibility. The engine always ignores a signal in the direction of the
   * open position; what an opposite signal does is `trading.on_opposite_signal`. @defaultValue true
   */
  readonly position_awareness: boolean;
  readonly filters: {
    /** Minimum number of base bars between two trade signals. @defaultValue 4 */
    readonly min_signal_separation: number;
  };
  /** Rules for `mode: rules` (optional and unused in `neural` mode, but validated when present). */
  readonly rules?: RulesConfig;
}

/**
 * Model-free decision rules. Each side is a fuzzy AND (minimum) of its terms; a term is
 * `<fuzzy_set>.<set>` (base timeframe) or a full feature name `<tf>_<fuzzy_set>_<set>`.
 * An empty side never fires.
 */
export interface RulesConfig {
  readonly buy: readonly string[];
  readonly sell: readonly string[];
}

/** Supervised training settings. */
export interface TrainingConfig {
  /** @defaultValue 100 */
  readonly epochs: number;
  /** @defaultValue 32 */
  readonly batch_size: number;
  /** @defaultValue 0.001 */
  readonly learning_rate: number;
  readonly labels: {
    /** @defaultValue 'zigzag' */
    readonly source: 'zigzag';
    /** Minimum relative move (0.01 = 1 %) for a zigzag swing. @defaultValue 0.01 */
    readonly zigzag_threshold: number;
    /** Bars looked ahead when labelling. @defaultValue 20 */
    readonly label_lookahead: number;
  };
  /** Chronological split fractions, summing to 1. @defaultValue { train: 0.7, validation: 0.15, test: 0.15 } */
  readonly data_split: { readonly train: number; readonly validation: number; readonly test: number };
  /** Seed of weight initialisation, shuffling and dropout: the same seed and data give the same model. @defaultValue 42 */
  readonly seed?: number;
  /** Stop when validation loss has not improved by `min_delta` for `patience` epochs; absent = never. */
  readonly early_stopping?: { readonly patience: number; readonly min_delta: number };
}

/** `position_size`: a fraction of equity (a plain number is a fraction) or a fixed number of units. */
export type PositionSizeConfig = { readonly fraction: number } | { readonly units: number };

/** `min_signal_separation` in bars, or as a duration (`4h`, `30m`, `2d`) since the last fill. */
export type SignalSeparationConfig = { readonly bars: number } | { readonly duration: string };

/**
 * Trading costs. Each field is optional; what is missing comes from the symbol's asset-class
 * defaults (docs/backtest-engine.md). Commission and slippage in bps are per side.
 */
export interface CostsConfig {
  /** Commission in basis points of the notional, per fill. */
  readonly commission_bps?: number;
  /** Fixed fee per fill, in account currency. */
  readonly fee_per_trade?: number;
  /** Slippage in basis points of the price, per fill. */
  readonly slippage_bps?: number;
  /** Slippage in pips per fill (FX); the pip is `pip_size`. */
  readonly slippage_pips?: number;
  /** Price of one pip. @defaultValue 0.0001 (0.01 for JPY-quoted pairs) */
  readonly pip_size?: number;
}

/** The `trading:` block. */
export interface TradingConfig {
  /** Whether SELL may open a short. @defaultValue false (as KTRDR) */
  readonly allow_short: boolean;
  /** What a signal opposite to the open position does. @defaultValue 'close' (as KTRDR) */
  readonly on_opposite_signal: 'close' | 'reverse';
  /** @defaultValue { fraction: 0.25 } */
  readonly position_size: PositionSizeConfig;
  /** Overrides `decisions.filters.min_signal_separation` (bars) when present. */
  readonly min_signal_separation?: SignalSeparationConfig;
  /** Margin rule: liquidation when equity falls to this fraction of the position value. @defaultValue 0.25 */
  readonly maintenance_margin: number;
  /** Strategy-wide costs, and per-symbol costs under `symbols` (a symbol's fields win). */
  readonly costs?: CostsConfig & { readonly symbols?: Readonly<Record<string, CostsConfig>> };
}
