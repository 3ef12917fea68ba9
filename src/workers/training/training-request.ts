import { Type, type Static } from 'typebox';
import { STRATEGY_NAME_PATTERN } from '../../domain/strategy/load-strategy.js';
import { SYMBOL_PATTERN } from '../../domain/data/data-files.js';
import { DataSha256Field } from '../artifacts/artifact-fields.js';

const DATE = '^\\d{4}-\\d{2}-\\d{2}([T ][0-9:.]+(Z|[+-]\\d{2}:?\\d{2})?)?$';

/** `POST /training/start` body, the same on the backend and on a training worker. */
export const TrainingStartRequest = Type.Object(
  {
    strategy_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: STRATEGY_NAME_PATTERN, description: 'Strategy name: strategies/{name}.yaml on the server (or give strategy_yaml)' })),
    strategy_yaml: Type.Optional(Type.String({ minLength: 1, maxLength: 200_000, description: 'The strategy itself, as YAML text' })),
    symbols: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50, pattern: SYMBOL_PATTERN.source }), { minItems: 1, maxItems: 50 })),
    timeframes: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]+[mhdwM]$' }), { minItems: 1, maxItems: 1 })),
    start_date: Type.Optional(Type.String({ pattern: DATE })),
    end_date: Type.Optional(Type.String({ pattern: DATE })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: "Seed of weights, shuffling and dropout; default: the strategy's training.seed, else 42" })),
    prefer_gpu: Type.Optional(Type.Boolean({ default: true, description: 'Try GPU workers first (backend only)' })),
    require_gpu: Type.Optional(Type.Boolean({ default: false, description: 'Only GPU workers (backend only)' })),
    force: Type.Optional(Type.Boolean({ default: false, description: 'Train a rules-mode strategy anyway (its backtests do not use the model)' })),
    data_sha256: DataSha256Field,
  },
  { additionalProperties: false },
);
export type TrainingStartRequest = Static<typeof TrainingStartRequest>;
