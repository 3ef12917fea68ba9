import { Type, type Static } from 'typebox';

const DATE = '^\\d{4}-\\d{2}-\\d{2}([T ][0-9:.]+(Z|[+-]\\d{2}:?\\d{2})?)?$';

/** `POST /backtests/start` body, the same on the backend and on a backtest worker. */
export const BacktestStartRequest = Type.Object({
  strategy_name: Type.String({ minLength: 1, description: 'Strategy name (strategies/{name}.yaml) or path' }),
  symbol: Type.Optional(Type.String({ minLength: 1, description: "Defaults to the strategy's first symbol" })),
  timeframe: Type.Optional(Type.String({ pattern: '^[0-9]+[mhdwM]$', description: "Defaults to the strategy's base timeframe" })),
  start_date: Type.String({ pattern: DATE, description: 'ISO date, e.g. 2024-01-01' }),
  end_date: Type.String({ pattern: DATE, description: 'ISO date, inclusive' }),
  initial_capital: Type.Number({ exclusiveMinimum: 0, default: 100000 }),
  commission: Type.Number({ minimum: 0, maximum: 0.1, default: 0.001 }),
  slippage: Type.Number({ minimum: 0, maximum: 0.1, default: 0.0005 }),
  model_path: Type.Optional(Type.String({ minLength: 1, description: "Model bundle; the strategy's latest when omitted" })),
});
export type BacktestStartRequest = Static<typeof BacktestStartRequest>;
