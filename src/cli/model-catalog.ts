import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** One saved model version as `ktrdr models list/show` sees it (read from its bundle files). */
export interface ModelEntry {
  /** `strategy/timeframe_vN`, what `--model` accepts. */
  readonly id: string;
  readonly strategy: string;
  readonly timeframe: string;
  readonly version: number;
  readonly path: string;
  /** Whether `{timeframe}_latest.json` points at this version. */
  readonly latest: boolean;
  /** `metadata.json` (symbols, start/end dates, created_at, backend, data_hash, …). */
  readonly metadata: Record<string, unknown>;
  /** `metrics.json` (history, test metrics, seed, …); null when missing. */
  readonly metrics: Record<string, unknown> | null;
}

function readJson(path: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Every model version under `modelsDir`, by strategy, timeframe and version. */
export function listModels(modelsDir: string): ModelEntry[] {
  if (!existsSync(modelsDir)) return [];
  const out: ModelEntry[] = [];
  for (const strategy of readdirSync(modelsDir).sort()) {
    const dir = join(modelsDir, strategy);
    if (strategy.startsWith('.') || !statSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir)) {
      const m = /^(.+)_v(\d+)$/.exec(name);
      if (!m || !statSync(join(dir, name)).isDirectory()) continue;
      const timeframe = m[1] as string;
      const version = Number(m[2]);
      const pointer = readJson(join(dir, `${timeframe}_latest.json`));
      out.push({
        id: `${strategy}/${name}`,
        strategy,
        timeframe,
        version,
        path: resolve(dir, name),
        latest: pointer?.['dir'] === name,
        metadata: readJson(join(dir, name, 'metadata.json')) ?? {},
        metrics: readJson(join(dir, name, 'metrics.json')),
      });
    }
  }
  return out.sort((a, b) => a.strategy.localeCompare(b.strategy) || a.timeframe.localeCompare(b.timeframe) || a.version - b.version);
}

/** The entry `ref` names: `strategy/tf_vN`, `strategy/tf` or `strategy` (latest), or a bundle path. */
export function findModel(models: readonly ModelEntry[], ref: string, modelsDir: string): ModelEntry | undefined {
  const cleaned = ref.replace(/\/+$/, '');
  const byPath = resolve(cleaned);
  const exact = models.find((m) => m.id === cleaned || m.path === byPath || m.path === resolve(modelsDir, cleaned));
  if (exact) return exact;
  const [strategy, timeframe] = cleaned.split('/');
  const candidates = models.filter((m) => m.strategy === strategy && (timeframe === undefined || m.timeframe === timeframe));
  return candidates.find((m) => m.latest) ?? candidates.at(-1);
}

/** The test-set block of `metrics.json`, or an empty object. */
export function testMetricsOf(entry: ModelEntry): Record<string, unknown> {
  const t = entry.metrics?.['test'];
  return typeof t === 'object' && t !== null ? (t as Record<string, unknown>) : {};
}
