import { Type, type Static } from 'typebox';
import { Operation, OperationStatus } from './operation.js';

const DATE = '^\\d{4}-\\d{2}-\\d{2}$';
const GridValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

/** `POST /api/v1/sweeps`: one strategy, a grid of YAML-path values, optional symbols/timeframes and walk-forward windows. */
export const SweepRequest = Type.Object(
  {
    strategy_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Strategy name: strategies/{name}.yaml on the server (or give strategy_yaml)' })),
    strategy_yaml: Type.Optional(Type.String({ minLength: 1, maxLength: 200_000, description: 'The strategy itself, as YAML text' })),
    grid: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Type.Union([Type.Array(GridValue, { minItems: 1, maxItems: 1000 }), Type.String({ maxLength: 2000 })]), {
        description:
          "Strategy YAML path → values: a list, 'a,b,c', or an inclusive range 'start:stop:step'. Paths use dots; a list element is addressed by index or by its id/name, e.g. indicators.rsi_14.period",
      }),
    ),
    symbols: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { minItems: 1, maxItems: 100, description: "Default: the strategy's symbol" })),
    timeframes: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]+[mhdwM]$' }), { minItems: 1, maxItems: 20, description: "Default: the strategy's base timeframe" })),
    start_date: Type.String({ pattern: DATE, description: 'ISO date, e.g. 2024-01-01' }),
    end_date: Type.String({ pattern: DATE, description: 'ISO date, inclusive' }),
    walk_forward: Type.Optional(
      Type.Object(
        {
          windows: Type.Integer({ minimum: 1, maximum: 50, description: 'k: the range is split into k+1 windows; step i backtests window i+1' }),
          mode: Type.Optional(Type.Union([Type.Literal('rolling'), Type.Literal('anchored')], { description: 'rolling (default): train on window i; anchored: train from start_date to the end of window i' })),
        },
        { additionalProperties: false },
      ),
    ),
    initial_capital: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    priority: Type.Optional(Type.Integer({ minimum: -100, maximum: 100, description: 'Priority of every child. Default 0' })),
  },
  { additionalProperties: false },
);
export type SweepRequest = Static<typeof SweepRequest>;

export const SweepCreated = Type.Object({
  success: Type.Boolean(),
  sweep_id: Type.String(),
  children: Type.Integer(),
  child_ids: Type.Array(Type.String()),
});
export type SweepCreated = Static<typeof SweepCreated>;

/** One child in a sweep's summary. */
export const SweepChild = Type.Object({
  operation_id: Type.String(),
  operation_type: Type.String(),
  status: OperationStatus,
  percentage: Type.Number(),
  parameters: Type.Record(Type.String(), Type.Unknown()),
  error_message: Type.Union([Type.String(), Type.Null()]),
});
export type SweepChild = Static<typeof SweepChild>;

export const SweepView = Type.Object({
  success: Type.Boolean(),
  data: Type.Object({
    sweep: Operation,
    counts: Type.Record(Type.String(), Type.Integer()),
    grid_paths: Type.Array(Type.String()),
    children: Type.Array(SweepChild),
  }),
});
export type SweepView = Static<typeof SweepView>;

/** Column names of a sweep's comparison table after its parameter columns. */
export const SWEEP_METRIC_COLUMNS = ['model_version', 'total_return', 'total_return_pct', 'sharpe_ratio', 'max_drawdown_pct', 'total_trades', 'status', 'operation_id'] as const;

export const SweepTable = Type.Object({
  success: Type.Boolean(),
  data: Type.Object({
    sweep_id: Type.String(),
    status: OperationStatus,
    /** Parameter columns first (grid paths, then symbol/timeframe/window when they vary), then SWEEP_METRIC_COLUMNS. */
    columns: Type.Array(Type.String()),
    rows: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  }),
});
export type SweepTable = Static<typeof SweepTable>;

export const SweepTableQuery = Type.Object({
  sort: Type.Optional(Type.String({ maxLength: 200 })),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
});
export type SweepTableQuery = Static<typeof SweepTableQuery>;
