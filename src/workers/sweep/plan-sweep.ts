import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import type { SweepRequest } from '../../contracts/index.js';
import { InvalidRequestError } from '../../contracts/errors.js';
import { findStrategyFile } from '../../domain/strategy/load-strategy.js';
import { parseStrategyYaml } from '../../domain/strategy/parse-strategy-yaml.js';
import { loadStrategyOr400, parseDateRange } from '../request-checks.js';

export type GridScalar = string | number | boolean;

/** One child of a sweep: its grid point and the backtest request that runs it. */
export interface PlannedChild {
  /** Grid path → value, plus symbol / timeframe / window when the sweep varies them. */
  params: Record<string, GridScalar>;
  /** The backtest request (a neural walk-forward step gets its model_path once its training completed). */
  request: Record<string, unknown>;
  /** Neural walk-forward: the training that runs first, on the window before (or from the start, anchored). */
  training?: Record<string, unknown>;
}

export interface SweepPlan {
  strategyName: string;
  mode: string;
  /** The varied dimensions, in column order. */
  dimensions: string[];
  children: PlannedChild[];
}

export interface PlanSweepOptions {
  strategiesDir: string;
  /** Children at most (400 beyond). @defaultValue 1000 */
  maxChildren?: number;
}

const DAY_MS = 86_400_000;

/**
 * Expands a sweep request into one backtest request per combination of grid values × symbols ×
 * timeframes × walk-forward windows. Every failure is a 400 naming the field (`grid.<path>`,
 * `walk_forward.windows`, …); nothing is stored.
 */
export function planSweep(req: SweepRequest, opts: PlanSweepOptions): SweepPlan {
  const maxChildren = opts.maxChildren ?? 1000;
  const { text, source } = strategyText(req, opts.strategiesDir);
  const base = parseStrategyYaml(text, source); // valid: strategyText checked it
  const doc = parse(text) as Record<string, unknown>;

  const axes: { name: string; values: GridScalar[] }[] = [];
  for (const [path, spec] of Object.entries(req.grid ?? {})) {
    const field = `grid.${path}`;
    const leaf = resolvePath(doc, path, field);
    if (leaf.value !== null && typeof leaf.value === 'object') {
      throw InvalidRequestError.field(field, `addresses a ${Array.isArray(leaf.value) ? 'list' : 'mapping'}, not a single value`);
    }
    axes.push({ name: path, values: gridValues(spec, field, maxChildren) });
  }
  if (req.symbols) axes.push({ name: 'symbol', values: unique(req.symbols, 'symbols') });
  if (req.timeframes) axes.push({ name: 'timeframe', values: unique(req.timeframes, 'timeframes') });

  const windows = req.walk_forward
    ? walkForwardWindows(req.start_date, req.end_date, req.walk_forward.windows, req.walk_forward.mode ?? 'rolling')
    : [{ start: req.start_date, end: req.end_date, trainStart: req.start_date, trainEnd: req.end_date }];
  const neuralSteps = req.walk_forward !== undefined && base.decisions.mode === 'neural';
  if (!req.walk_forward) parseDateRange(req.start_date, req.end_date);
  if (req.walk_forward) axes.push({ name: 'window', values: windows.map((_, i) => i + 1) });

  const total = axes.reduce((n, a) => n * a.values.length, 1);
  if (total > maxChildren) {
    throw InvalidRequestError.field('grid', `${total} combinations (${axes.map((a) => `${a.name}: ${a.values.length}`).join(' × ')}): at most ${maxChildren} children per sweep`);
  }

  const children: PlannedChild[] = [];
  for (const combo of product(axes)) {
    const edited = structuredClone(doc);
    const params: Record<string, GridScalar> = {};
    for (const [name, value] of combo) {
      params[name] = value;
      if (name === 'symbol' || name === 'timeframe' || name === 'window') continue;
      const leaf = resolvePath(edited, name, `grid.${name}`);
      (leaf.parent as Record<string | number, unknown>)[leaf.key] = value;
    }
    const yamlText = stringify(edited);
    try {
      parseStrategyYaml(yamlText, 'strategy');
    } catch (err) {
      const issues = (err as { issues?: { path: string; message: string }[] }).issues ?? [{ path: '', message: (err as Error).message }];
      const point = Object.entries(params).map(([k, v]) => `${k}=${String(v)}`).join(', ');
      throw new InvalidRequestError(issues.map((i) => ({ path: `grid (${point})${i.path ? `: ${i.path}` : ''}`, message: i.message })));
    }
    const w = windows[typeof params['window'] === 'number' ? params['window'] - 1 : 0]!;
    const request: Record<string, unknown> = { strategy_yaml: yamlText, start_date: w.start, end_date: w.end };
    if (params['symbol'] !== undefined) request['symbol'] = params['symbol'];
    if (params['timeframe'] !== undefined) request['timeframe'] = params['timeframe'];
    if (req.initial_capital !== undefined) request['initial_capital'] = req.initial_capital;
    if (req.priority !== undefined) request['priority'] = req.priority;
    if (req.walk_forward) {
      params['window_start'] = w.start;
      params['window_end'] = w.end;
    }
    if (neuralSteps) {
      // Trainings are costly: one attempt (a lost worker fails the step instead of training again).
      const training: Record<string, unknown> = { strategy_yaml: yamlText, start_date: w.trainStart, end_date: w.trainEnd, max_attempts: 1 };
      if (params['symbol'] !== undefined) training['symbols'] = [params['symbol']];
      if (params['timeframe'] !== undefined) training['timeframes'] = [params['timeframe']];
      if (req.priority !== undefined) training['priority'] = req.priority;
      children.push({ params, request, training });
    } else {
      children.push({ params, request });
    }
  }
  const dimensions = axes.map((a) => a.name);
  if (req.walk_forward) dimensions.push('window_start', 'window_end');
  return { strategyName: base.name, mode: base.decisions.mode, dimensions, children };
}

function strategyText(req: SweepRequest, strategiesDir: string): { text: string; source: string } {
  if ((req.strategy_name === undefined) === (req.strategy_yaml === undefined)) {
    throw InvalidRequestError.field('strategy_name', 'give exactly one of strategy_name or strategy_yaml');
  }
  if (req.strategy_name !== undefined) {
    loadStrategyOr400(req.strategy_name, strategiesDir); // 400 for an unknown or invalid strategy
    const file = findStrategyFile(req.strategy_name, strategiesDir)!;
    return { text: readFileSync(file, 'utf8'), source: req.strategy_name };
  }
  try {
    parseStrategyYaml(req.strategy_yaml!, 'strategy_yaml');
  } catch (err) {
    const e = err as Error & { issues?: { path: string; message: string }[] };
    throw new InvalidRequestError(e.issues?.map((i) => ({ path: `strategy_yaml: ${i.path}`, message: i.message })) ?? [{ path: 'strategy_yaml', message: e.message }]);
  }
  return { text: req.strategy_yaml!, source: 'strategy_yaml' };
}

interface Leaf {
  parent: Record<string, unknown> | unknown[];
  key: string | number;
  value: unknown;
}

/**
 * Finds `a.b.c` in a YAML document: mapping keys by name; list elements by index or by the `id`
 * or `name` of an element. The path must exist (a sweep varies values, it does not invent keys).
 */
export function resolvePath(doc: unknown, path: string, field: string): Leaf {
  const segments = path.split('.');
  if (segments.some((s) => s === '')) throw InvalidRequestError.field(field, `'${path}' is not a path: use dots between keys, e.g. indicators.rsi_14.period`);
  let node: unknown = doc;
  let leaf: Leaf | undefined;
  for (const [i, seg] of segments.entries()) {
    const where = segments.slice(0, i).join('.') || 'the strategy';
    if (Array.isArray(node)) {
      let idx = /^\d+$/.test(seg) ? Number(seg) : node.findIndex((e) => e !== null && typeof e === 'object' && ((e as Record<string, unknown>)['id'] === seg || (e as Record<string, unknown>)['name'] === seg));
      if (idx < 0 || idx >= node.length) throw InvalidRequestError.field(field, `unknown path: no element '${seg}' in the list at ${where} (${node.length} elements)`);
      leaf = { parent: node, key: idx, value: node[idx] };
      idx = 0;
    } else if (node !== null && typeof node === 'object') {
      const obj = node as Record<string, unknown>;
      if (!Object.hasOwn(obj, seg)) {
        const keys = Object.keys(obj);
        throw InvalidRequestError.field(field, `unknown path: '${seg}' not found under ${where}${keys.length ? ` (it has: ${keys.slice(0, 20).join(', ')})` : ''}`);
      }
      leaf = { parent: obj, key: seg, value: obj[seg] };
    } else {
      throw InvalidRequestError.field(field, `unknown path: ${where} is a value, it has no '${seg}'`);
    }
    node = leaf.value;
  }
  return leaf!;
}

/** A grid axis' values: a list, 'a,b,c', or the inclusive range 'start:stop:step'. */
export function gridValues(spec: readonly GridScalar[] | string, field: string, maxValues: number): GridScalar[] {
  if (Array.isArray(spec)) return unique(spec, field);
  const text = (spec as string).trim();
  if (text.includes(':')) {
    const parts = text.split(':').map((p) => p.trim());
    const nums = parts.map(Number);
    if (parts.length !== 3 || parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n))) {
      throw InvalidRequestError.field(field, `bad range '${text}': use start:stop:step with numbers, e.g. 7:28:7`);
    }
    const [start, stop, step] = nums as [number, number, number];
    if (step <= 0) throw InvalidRequestError.field(field, `bad range '${text}': step must be > 0`);
    if (stop < start) throw InvalidRequestError.field(field, `bad range '${text}': stop must be ≥ start`);
    const count = Math.floor((stop - start) / step + 1e-9) + 1;
    if (count > maxValues) throw InvalidRequestError.field(field, `range '${text}' has ${count} values: at most ${maxValues}`);
    return Array.from({ length: count }, (_, i) => Number((start + i * step).toPrecision(12)));
  }
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw InvalidRequestError.field(field, `bad value list '${text}': use a,b,c or start:stop:step`);
  return unique(items.map(scalarOf), field);
}

function scalarOf(text: string): GridScalar {
  if (text === 'true' || text === 'false') return text === 'true';
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

function unique<T extends GridScalar>(values: readonly T[], field: string): T[] {
  if (values.length === 0) throw InvalidRequestError.field(field, 'needs at least one value');
  const seen = new Set<T>();
  for (const v of values) {
    if (seen.has(v)) throw InvalidRequestError.field(field, `value ${String(v)} is listed twice`);
    seen.add(v);
  }
  return [...values];
}

function* product(axes: { name: string; values: GridScalar[] }[]): Generator<[string, GridScalar][]> {
  if (axes.length === 0) {
    yield [];
    return;
  }
  const [first, ...rest] = axes;
  for (const v of first!.values) for (const tail of product(rest)) yield [[first!.name, v], ...tail];
}

export interface WalkForwardWindow {
  /** The backtested (out-of-sample) window, inclusive. */
  start: string;
  end: string;
  /** What a neural step trains on: the window before (rolling) or everything before (anchored). */
  trainStart: string;
  trainEnd: string;
}

/**
 * Splits [start, end] into k+1 equal windows (whole days) and returns the k out-of-sample ones
 * (windows 2..k+1): step i trains (neural) on window i, or from start in anchored mode, and
 * backtests window i+1. End dates are inclusive, so a window ends the day before the next starts.
 */
export function walkForwardWindows(startDate: string, endDate: string, k: number, mode: 'rolling' | 'anchored' = 'rolling'): WalkForwardWindow[] {
  const { start, end } = parseDateRange(startDate, endDate);
  const days = Math.floor((end - start) / DAY_MS) + 1;
  if (days < 2 * (k + 1)) throw InvalidRequestError.field('walk_forward.windows', `${k + 1} windows do not fit in ${days} days: use fewer windows or a longer range`);
  const edge = (i: number) => start + Math.round((days * i) / (k + 1)) * DAY_MS;
  const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
  const out: WalkForwardWindow[] = [];
  for (let i = 1; i <= k; i++) {
    out.push({
      start: iso(edge(i)),
      end: iso(i === k ? end : edge(i + 1) - DAY_MS),
      trainStart: iso(mode === 'anchored' ? start : edge(i - 1)),
      trainEnd: iso(edge(i) - DAY_MS),
    });
  }
  return out;
}
