import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { STRATEGY_SEGMENT_PATTERN, type ModelListEntry } from '../../contracts/artifacts.js';
import { LATEST_POINTER_SUFFIX, readLatestPointer } from '../../domain/model/model-bundle-layout.js';
import { modelRef } from '../../domain/model/model-ref.js';

const VERSION_DIR = /^([0-9]+[mhdwM])_v([0-9]+)$/;
const STRATEGY_DIR = new RegExp(STRATEGY_SEGMENT_PATTERN);

/** Every `{strategy}/{tf}_v{N}` folder in the store, by strategy, timeframe and version. */
export async function listStoredModels(modelsDir: string): Promise<ModelListEntry[]> {
  const out: ModelListEntry[] = [];
  const strategies = await readdir(modelsDir, { withFileTypes: true }).catch(() => []);
  for (const s of strategies.filter((d) => d.isDirectory() && STRATEGY_DIR.test(d.name)).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const entries = await readdir(join(modelsDir, s.name), { withFileTypes: true }).catch(() => []);
    const latest = new Map<string, number>();
    for (const e of entries.filter((x) => x.isFile() && x.name.endsWith(LATEST_POINTER_SUFFIX))) {
      const tf = e.name.slice(0, -LATEST_POINTER_SUFFIX.length);
      const p = await readLatestPointer(join(modelsDir, s.name, e.name), tf).catch(() => undefined);
      if (p) latest.set(tf, p.version);
    }
    const versions = entries
      .filter((e) => e.isDirectory())
      .map((e) => VERSION_DIR.exec(e.name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ timeframe: m[1]!, version: Number(m[2]) }))
      .sort((a, b) => (a.timeframe === b.timeframe ? a.version - b.version : a.timeframe < b.timeframe ? -1 : 1));
    for (const v of versions) {
      out.push({
        model_path: modelRef(s.name, v.timeframe, v.version),
        strategy_name: s.name,
        timeframe: v.timeframe,
        version: v.version,
        is_latest: latest.get(v.timeframe) === v.version,
      });
    }
  }
  return out;
}
