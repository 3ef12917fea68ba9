import { loadStrategyByName } from '../../domain/strategy/load-strategy.js';
import { parseStrategyYaml } from '../../domain/strategy/parse-strategy-yaml.js';
import type { StrategyConfig } from '../../domain/strategy/strategy-config.js';
import type { TrainingStartRequest } from './training-request.js';

/** The strategy a training request names (strategy_name) or carries (strategy_yaml). */
export function resolveTrainingStrategy(params: TrainingStartRequest, strategiesDir: string): StrategyConfig {
  if (params.strategy_yaml !== undefined) return parseStrategyYaml(params.strategy_yaml, 'strategy_yaml');
  if (params.strategy_name === undefined) throw new Error('strategy_name or strategy_yaml is required');
  return loadStrategyByName(params.strategy_name, strategiesDir);
}
