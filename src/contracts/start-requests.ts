import { Type, type Static } from 'typebox';
import { SHA256_PATTERN } from './artifacts.js';
import { DATE_PATTERN, MODEL_REF_PATTERN, STRATEGY_NAME_PATTERN, SYMBOL_PATTERN, TIMEFRAME_PATTERN } from './patterns.js';

/**
 * Fields the backend adds to a start request on its way to a worker (a client's value is
 * replaced): the content hashes of what the request was checked against, so the worker runs on
 * exactly those bytes and fetches them from the backend when it lacks them.
 */
export const DataSha256Field = Type.Optional(
  Type.Record(Type.String({ pattern: '^[A-Za-z0-9._-]+_[0-9]+[mhdwM]$' }), Type.String({ pattern: SHA256_PATTERN }), {
    maxProperties: 500,
    description: 'Set by the backend: SHA-256 of each CSV the request needs, by {SYMBOL}_{TIMEFRAME}',
  }),
);

export const ModelSha256Field = Type.Optional(
  Type.String({ pattern: SHA256_PATTERN, description: "Set by the backend: identity (SHA-256) of the model bundle model_path names" }),
);

/**
 * `POST /backtests/start` body: the same on the backend, on a backtest worker and in the CLI.
 * Field names and descriptions show in the OpenAPI spec and docs/api-reference.md.
 */
export const BacktestStartRequest = Type.Object(
  {
    strategy_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: STRATEGY_NAME_PATTERN, description: 'Strategy name: strategies/{name}.yaml on the server (or give strategy_yaml)' })),
    strategy_yaml: Type.Optional(Type.String({ minLength: 1, maxLength: 200_000, description: 'The strategy itself, as YAML text (what `ktrdr backtest ./my.yaml` uploads)' })),
    symbol: Type.Optional(Type.String({ minLength: 1, maxLength: 50, pattern: SYMBOL_PATTERN.source, description: "Defaults to the strategy's first symbol" })),
    timeframe: Type.Optional(Type.String({ pattern: TIMEFRAME_PATTERN, description: "Defaults to the strategy's base timeframe" })),
    start_date: Type.String({ pattern: DATE_PATTERN, description: 'ISO date, e.g. 2024-01-01' }),
    end_date: Type.String({ pattern: DATE_PATTERN, description: 'ISO date, inclusive' }),
    initial_capital: Type.Number({ exclusiveMinimum: 0, default: 100000 }),
    commission: Type.Optional(Type.Number({ minimum: 0, maximum: 0.1, description: "Commission per fill as a fraction of the notional (0.0001 = 1 bp); default: the strategy's trading.costs, else the asset-class default" })),
    slippage: Type.Optional(Type.Number({ minimum: 0, maximum: 0.1, description: "Slippage per fill as a fraction of the price; replaces the strategy's bps/pips slippage" })),
    fee_per_trade: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000_000, description: 'Fixed fee per fill in account currency' })),
    allow_short: Type.Optional(Type.Boolean({ description: "Whether SELL may open a short; default: the strategy's trading.allow_short (false)" })),
    on_opposite_signal: Type.Optional(Type.Union([Type.Literal('close'), Type.Literal('reverse')], { description: "Default: the strategy's trading.on_opposite_signal (close)" })),
    position_size: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Fraction of equity per position' })),
    position_units: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Fixed units per position (wins over position_size)' })),
    min_signal_separation: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^([0-9]+\\s*bars?|[0-9]+[mhdw])$' })], {
        description: "Bars (6 or '6 bars') or a duration since the last fill ('4h')",
      }),
    ),
    model_path: Type.Optional(
      Type.String({ pattern: MODEL_REF_PATTERN, maxLength: 300, description: "Model reference {strategy}/{timeframe}_v{N} inside the models dir; the strategy's latest when omitted" }),
    ),
    model_sha256: ModelSha256Field,
    data_sha256: DataSha256Field,
  },
  { additionalProperties: false },
);
/** What the server sees after validation (defaults filled in). */
export type BacktestStartRequest = Static<typeof BacktestStartRequest>;
/** What a client sends: fields with a default may be left out. */
export type BacktestStartBody = Omit<BacktestStartRequest, 'initial_capital'> & { initial_capital?: number };

/** `POST /training/start` body: the same on the backend, on a training worker and in the CLI. */
export const TrainingStartRequest = Type.Object(
  {
    strategy_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: STRATEGY_NAME_PATTERN, description: 'Strategy name: strategies/{name}.yaml on the server (or give strategy_yaml)' })),
    strategy_yaml: Type.Optional(Type.String({ minLength: 1, maxLength: 200_000, description: 'The strategy itself, as YAML text' })),
    symbols: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50, pattern: SYMBOL_PATTERN.source }), { minItems: 1, maxItems: 50 })),
    timeframes: Type.Optional(Type.Array(Type.String({ pattern: TIMEFRAME_PATTERN }), { minItems: 1, maxItems: 1 })),
    start_date: Type.Optional(Type.String({ pattern: DATE_PATTERN })),
    end_date: Type.Optional(Type.String({ pattern: DATE_PATTERN })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: "Seed of weights, shuffling and dropout; default: the strategy's training.seed, else 42" })),
    prefer_gpu: Type.Optional(Type.Boolean({ default: true, description: 'Try GPU workers first (backend only)' })),
    require_gpu: Type.Optional(Type.Boolean({ default: false, description: 'Only GPU workers (backend only)' })),
    force: Type.Optional(Type.Boolean({ default: false, description: 'Train a rules-mode strategy anyway (its backtests do not use the model)' })),
    data_sha256: DataSha256Field,
  },
  { additionalProperties: false },
);
export type TrainingStartRequest = Static<typeof TrainingStartRequest>;
