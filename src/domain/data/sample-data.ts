import { writeOhlcvCsv } from './csv-writer.js';
import { ohlcvPath } from './data-files.js';
import { generateOhlcv } from './generator.js';
import { hashString } from './prng.js';
import { resampleOhlcv } from './resample.js';
import { formatUtcTimestamp } from './utc-time.js';

/** How one sample symbol is generated. */
export interface SampleSymbolProfile {
  readonly symbol: string;
  /** Price at the start date. */
  readonly startPrice: number;
  /** Annualised volatility (0.07 = 7%). */
  readonly annualVol: number;
  /** Decimals prices are rounded to. @defaultValue 3 when startPrice >= 20 (JPY-style), else 5 */
  readonly priceDecimals?: number;
}

/** Options for {@link generateSampleData}. */
export interface GenerateSampleDataOptions {
  /** Directory the CSV files are written to (created if missing; existing sample files are replaced). */
  readonly dataDir: string;
  /**
   * Symbols to generate: names (known FX majors get realistic defaults, others start at 1.0 with 8%
   * volatility) or full profiles.
   * @defaultValue ['EURUSD', 'GBPUSD']
   */
  readonly symbols?: ReadonlyArray<string | SampleSymbolProfile>;
  /** First day. @defaultValue '2019-01-01' */
  readonly start?: string;
  /** Last day, inclusive. @defaultValue '2024-12-31' */
  readonly end?: string;
  /** Base seed; each symbol's seed mixes it with a hash of the symbol name. @defaultValue 20190101 */
  readonly seed?: number;
}

/** One file written by {@link generateSampleData}. */
export interface SampleDataFile {
  readonly symbol: string;
  readonly timeframe: string;
  readonly path: string;
  readonly rows: number;
  /** First bar open time, ISO-8601 UTC. */
  readonly first: string;
  /** Last bar open time, ISO-8601 UTC. */
  readonly last: string;
}

/** Sample timeframes: 1h is simulated, the others are resampled from it. */
export const SAMPLE_TIMEFRAMES = ['1h', '4h', '1d'] as const;

const KNOWN_PROFILES: Readonly<Record<string, Omit<SampleSymbolProfile, 'symbol'>>> = {
  EURUSD: { startPrice: 1.14, annualVol: 0.07 },
  GBPUSD: { startPrice: 1.27, annualVol: 0.09 },
  USDJPY: { startPrice: 110, annualVol: 0.08 },
  AUDUSD: { startPrice: 0.7, annualVol: 0.09 },
  USDCHF: { startPrice: 0.98, annualVol: 0.07 },
  USDCAD: { startPrice: 1.33, annualVol: 0.06 },
};

function toProfile(entry: string | SampleSymbolProfile): SampleSymbolProfile {
  if (typeof entry !== 'string') return entry;
  return { symbol: entry, ...(KNOWN_PROFILES[entry.toUpperCase()] ?? { startPrice: 1, annualVol: 0.08 }) };
}

/**
 * Generates the synthetic sample data set: for each symbol a 1h series from
 * {@link generateOhlcv}, resampled to 4h and 1d (weekend hours folded into Monday), written as
 * `{dataDir}/{SYMBOL}_{1h,4h,1d}.csv`. Seeds are fixed, so the files are byte-identical on every run.
 * This is what `ktrdr data generate` runs.
 */
export function generateSampleData(options: GenerateSampleDataOptions): SampleDataFile[] {
  const { dataDir } = options;
  const start = options.start ?? '2019-01-01';
  const end = options.end ?? '2024-12-31';
  const baseSeed = options.seed ?? 20190101;
  const written: SampleDataFile[] = [];
  for (const profile of (options.symbols ?? ['EURUSD', 'GBPUSD']).map(toProfile)) {
    const priceDecimals = profile.priceDecimals ?? (profile.startPrice >= 20 ? 3 : 5);
    const hourly = generateOhlcv({
      symbol: profile.symbol,
      timeframe: '1h',
      start,
      end,
      seed: (baseSeed ^ hashString(profile.symbol)) >>> 0,
      startPrice: profile.startPrice,
      annualVol: profile.annualVol,
      priceDecimals,
    });
    for (const timeframe of SAMPLE_TIMEFRAMES) {
      const series = timeframe === '1h' ? hourly : resampleOhlcv(hourly, timeframe, { foldWeekendIntoMonday: true });
      const path = ohlcvPath(dataDir, profile.symbol, timeframe);
      writeOhlcvCsv(path, series, { priceDecimals });
      written.push({
        symbol: profile.symbol,
        timeframe,
        path,
        rows: series.length,
        first: formatUtcTimestamp(series.time[0] as number),
        last: formatUtcTimestamp(series.time[series.length - 1] as number),
      });
    }
  }
  return written;
}
