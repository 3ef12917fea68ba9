import { Type, type Static } from 'typebox';

/**
 * The `result_summary` of completed operations, as far as clients (CLI, dashboard, sweeps) rely
 * on it. Both objects are open: producers may add fields without a contract change, but the
 * fields listed here keep their names and types.
 */

/** `result_summary` of a completed backtest. */
export const BacktestResultSummary = Type.Object(
  {
    /** Performance metrics by name (total_return_pct, sharpe_ratio, max_drawdown_pct, total_trades, ...); null where undefined. */
    metrics: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Null()])),
    /** Trades in the full result (the summary's trade list may hold fewer). */
    trade_count: Type.Integer({ minimum: 0 }),
    benchmarks: Type.Optional(
      Type.Object({
        buy_and_hold: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        buy_and_hold_full: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }),
    ),
  },
  { additionalProperties: true },
);
export type BacktestResultSummary = Static<typeof BacktestResultSummary>;

/** `result_summary` of a completed training. */
export const TrainingResultSummary = Type.Object(
  {
    /** Model reference `{strategy}/{timeframe}_v{N}` to pass as a backtest's `model_path`. */
    model_path: Type.String(),
    backend: Type.Optional(Type.String({ description: 'TensorFlow.js backend that trained it (cpu, wasm, ...)' })),
    epochs_trained: Type.Optional(Type.Integer({ minimum: 0 })),
    test_accuracy: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    test_balanced_accuracy: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    test_cohen_kappa: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    train_majority_class: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    train_majority_accuracy: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  },
  { additionalProperties: true },
);
export type TrainingResultSummary = Static<typeof TrainingResultSummary>;

/** `GET /api/v1/metrics/workers`: worker counts by status and type, and each worker. */
export const WorkersMetrics = Type.Object({
  total_workers: Type.Integer({ minimum: 0 }),
  by_status: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
  by_type: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
  workers: Type.Array(
    Type.Object({
      id: Type.String(),
      type: Type.String(),
      status: Type.String(),
      current_operation: Type.Union([Type.String(), Type.Null()]),
      health_failures: Type.Integer({ minimum: 0 }),
    }),
  ),
});
export type WorkersMetrics = Static<typeof WorkersMetrics>;
