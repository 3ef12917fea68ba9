import type { OhlcvSeries } from '../data/ohlcv.js';
import { computeAdx } from './adx.js';
import { computeAtr } from './atr.js';
import { computeBollingerBands } from './bollinger-bands.js';
import { computeEma } from './exponential-average.js';
import type { IndicatorSpecIssue } from './indicator-error.js';
import type { IndicatorOutputs } from './indicator-spec.js';
import { computeMacd } from './macd.js';
import { computeObv } from './obv.js';
import { type PriceSource, selectPriceSource } from './price-source.js';
import { computeRoc } from './roc.js';
import { computeRsi } from './rsi.js';
import { computeSma } from './sma.js';
import { computeStochastic } from './stochastic.js';

/**
 * How a parameter is checked: `period` an integer >= 1, `multiplier` a finite number > 0,
 * `source` one of {@link PRICE_SOURCES}.
 */
export type ParamKind = 'period' | 'multiplier' | 'source';

/** One parameter an indicator accepts, with its KTRDR name and default. */
export interface ParamDefinition {
  readonly name: string;
  readonly kind: ParamKind;
  readonly defaultValue: number | PriceSource;
}

/** An indicator's parameters after validation, defaults filled in. */
export interface ResolvedParams {
  /** The input column (`close` unless the indicator reads fixed columns). */
  readonly source: PriceSource;
  /** A numeric parameter by name. @throws Error for a name the indicator does not define (a bug). */
  num(name: string): number;
}

/** Everything the registry knows about one indicator type. */
export interface IndicatorDefinition {
  /** Canonical lowercase type name. */
  readonly type: string;
  /** Other accepted names (lowercase; matching is case-insensitive). */
  readonly aliases: readonly string[];
  readonly params: readonly ParamDefinition[];
  /** Output names; `['value']` for single-output indicators. */
  readonly outputs: readonly string[];
  /** Bars before every output has a value. */
  warmup(p: ResolvedParams): number;
  compute(p: ResolvedParams, series: OhlcvSeries): IndicatorOutputs;
  /** Checks across parameters, run only when each parameter is valid on its own. */
  check?(p: ResolvedParams): IndicatorSpecIssue[];
}

const VALUE = Object.freeze(['value']);
const SOURCE: ParamDefinition = { name: 'source', kind: 'source', defaultValue: 'close' };
const period = (name: string, defaultValue: number): ParamDefinition => ({ name, kind: 'period', defaultValue });
const single = (values: Float64Array): IndicatorOutputs => ({ value: values });
const input = (p: ResolvedParams, s: OhlcvSeries): Float64Array => selectPriceSource(s, p.source);

/** The ten indicators, in the order {@link INDICATOR_TYPES} lists them. */
export const INDICATOR_DEFINITIONS: readonly IndicatorDefinition[] = Object.freeze([
  {
    type: 'sma',
    aliases: [],
    params: [period('period', 20), SOURCE],
    outputs: VALUE,
    warmup: (p) => p.num('period') - 1,
    compute: (p, s) => single(computeSma(input(p, s), p.num('period'))),
  },
  {
    type: 'ema',
    aliases: [],
    params: [period('period', 20), SOURCE],
    outputs: VALUE,
    warmup: (p) => p.num('period') - 1,
    compute: (p, s) => single(computeEma(input(p, s), p.num('period'))),
  },
  {
    type: 'rsi',
    aliases: [],
    params: [period('period', 14), SOURCE],
    outputs: VALUE,
    warmup: (p) => p.num('period'),
    compute: (p, s) => single(computeRsi(input(p, s), p.num('period'))),
  },
  {
    type: 'macd',
    aliases: [],
    params: [period('fast_period', 12), period('slow_period', 26), period('signal_period', 9), SOURCE],
    outputs: Object.freeze(['macd', 'signal', 'histogram']),
    warmup: (p) => p.num('slow_period') + p.num('signal_period') - 2,
    compute: (p, s) => ({ ...computeMacd(input(p, s), p.num('fast_period'), p.num('slow_period'), p.num('signal_period')) }),
    check: (p) => {
      const fast = p.num('fast_period');
      const slow = p.num('slow_period');
      return fast < slow ? [] : [{ path: 'fast_period', message: `must be less than slow_period (${slow}), got ${fast}` }];
    },
  },
  {
    type: 'bollinger_bands',
    // 'bollingerbands' is KTRDR's class name (BollingerBands) lowercased.
    aliases: ['bbands', 'bollinger', 'bollingerbands'],
    params: [period('period', 20), { name: 'multiplier', kind: 'multiplier', defaultValue: 2 }, SOURCE],
    outputs: Object.freeze(['upper', 'middle', 'lower', 'width']),
    warmup: (p) => p.num('period') - 1,
    compute: (p, s) => ({ ...computeBollingerBands(input(p, s), p.num('period'), p.num('multiplier')) }),
  },
  {
    type: 'atr',
    aliases: [],
    params: [period('period', 14)],
    outputs: VALUE,
    warmup: (p) => p.num('period'),
    compute: (p, s) => single(computeAtr(s.high, s.low, s.close, p.num('period'))),
  },
  {
    type: 'adx',
    aliases: [],
    params: [period('period', 14)],
    outputs: Object.freeze(['adx', 'plus_di', 'minus_di']),
    warmup: (p) => 2 * p.num('period') - 1,
    compute: (p, s) => ({ ...computeAdx(s.high, s.low, s.close, p.num('period')) }),
  },
  {
    type: 'stochastic',
    aliases: ['stoch'],
    params: [period('k_period', 14), period('d_period', 3), period('smooth_k', 3)],
    outputs: Object.freeze(['k', 'd']),
    warmup: (p) => p.num('k_period') + p.num('smooth_k') + p.num('d_period') - 3,
    compute: (p, s) =>
      ({ ...computeStochastic(s.high, s.low, s.close, p.num('k_period'), p.num('d_period'), p.num('smooth_k')) }),
  },
  {
    type: 'roc',
    aliases: [],
    params: [period('period', 10), SOURCE],
    outputs: VALUE,
    warmup: (p) => p.num('period'),
    compute: (p, s) => single(computeRoc(input(p, s), p.num('period'))),
  },
  {
    type: 'obv',
    aliases: [],
    params: [],
    outputs: VALUE,
    warmup: () => 0,
    compute: (_p, s) => single(computeObv(s.close, s.volume)),
  },
]);
