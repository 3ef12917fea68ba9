import { Type, type Static } from 'typebox';
import { SYMBOL_PATTERN } from '../../domain/data/data-files.js';
import { MODEL_REF_PATTERN } from '../../domain/model/model-ref.js';
import { STRATEGY_NAME_PATTERN } from '../../domain/strategy/load-strategy.js';
import { DataSha256Field, ModelSha256Field } from '../artifacts/artifact-fields.js';

const DATE = '^\\d{4}-\\d{2}-\\d{2}([T ][0-9:.]+(Z|[+-]\\d{2}:?\\d{2})?)?$';

/** `POST /backtests/start` body, the same on the backend and on a backtest worker. */
export const BacktestStartRequest = Type.Object(
  {
  strategy_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: STRATEGY_NAME_PATTERN, description: 'Strategy name: strategies/{name}.yaml on the server (or give strategy_yaml)' })),
  strategy_yaml: Type.Optional(Type.String({ minLength: 1, maxLength: 200_000, description: 'The strategy itself, as YAML text (what `ktrdr backtest ./my.yaml` uploads)' })),
  symbol: Type.Optional(Type.String({ minLength: 1, maxLength: 50, pattern: SYMBOL_PATTERN.source, description: "Defaults to the strategy's first symbol" })),
  timeframe: Type.Optional(Type.String({ pattern: '^[0-9]+[mhdwM]$', description: "Defaults to the strategy's base timeframe" })),
  start_date: Type.String({ pattern: DATE, description: 'ISO date, e.g. 2024-01-01' }),
  end_date: Type.String({ pattern: DATE, description: 'ISO date, inclusive' }),
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
export type BacktestStartRequest = Static<typeof BacktestStartRequest>;
