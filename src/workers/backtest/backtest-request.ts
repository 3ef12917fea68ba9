import { Type, type Static } from 'typebox';
import { SYMBOL_PATTERN } from '../../domain/data/data-files.js';
import { MODEL_REF_PATTERN } from '../../domain/model/model-ref.js';
import { STRATEGY_NAME_PATTERN } from '../../domain/strategy/load-strategy.js';

const DATE = '^\\d{4}-\\d{2}-\\d{2}([T ][0-9:.]+(Z|[+-]\\d{2}:?\\d{2})?)?$';

/** `POST /backtests/start` body, the same on the backend and on a backtest worker. */
export const BacktestStartRequest = Type.Object(
  {
    strategy_name: Type.String({ minLength: 1, maxLength: 200, pattern: STRATEGY_NAME_PATTERN, description: 'Strategy name: strategies/{name}.yaml on the server' }),
    symbol: Type.Optional(Type.String({ minLength: 1, maxLength: 50, pattern: SYMBOL_PATTERN.source, description: "Defaults to the strategy's first symbol" })),
    timeframe: Type.Optional(Type.String({ pattern: '^[0-9]+[mhdwM]$', description: "Defaults to the strategy's base timeframe" })),
    start_date: Type.String({ pattern: DATE, description: 'ISO date, e.g. 2024-01-01' }),
    end_date: Type.String({ pattern: DATE, description: 'ISO date, inclusive' }),
    initial_capital: Type.Number({ exclusiveMinimum: 0, default: 100000 }),
    commission: Type.Number({ minimum: 0, maximum: 0.1, default: 0.001 }),
    slippage: Type.Number({ minimum: 0, maximum: 0.1, default: 0.0005 }),
    model_path: Type.Optional(
      Type.String({ pattern: MODEL_REF_PATTERN, maxLength: 300, description: "Model reference {strategy}/{timeframe}_v{N} inside the models dir; the strategy's latest when omitted" }),
    ),
  },
  { additionalProperties: false },
);
export type BacktestStartRequest = Static<typeof BacktestStartRequest>;
