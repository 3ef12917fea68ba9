/**
 * Bounds for free-form JSON objects that come from outside (worker capabilities, metadata,
 * progress context, metric records, result summaries). Without them one request with an object
 * nested thousands deep is stored and then breaks every reply that serializes it.
 */
export interface BoundedJsonLimits {
  /** Deepest nesting of objects/arrays, the value itself being depth 1. */
  maxDepth: number;
  /** Object keys plus array items, counted over the whole value. */
  maxKeys: number;
  /** Approximate size of the value as JSON, in bytes. */
  maxBytes: number;
}

/** Schema keyword the servers' validator checks (see src/server-kit/validator-compiler.ts). */
export const BOUNDED_JSON_KEYWORD = 'x-bounded-json';

/** Schema options that bound a free-form value: spread into a TypeBox schema's options. */
export function boundedJson(limits: BoundedJsonLimits): { [BOUNDED_JSON_KEYWORD]: BoundedJsonLimits } {
  return { [BOUNDED_JSON_KEYWORD]: limits };
}

/** Limits of small descriptive objects: capabilities, worker metadata, progress context. */
export const SMALL_JSON: BoundedJsonLimits = { maxDepth: 6, maxKeys: 500, maxBytes: 64 * 1024 };
/** Limits of result summaries and metric records, which may hold series. */
export const LARGE_JSON: BoundedJsonLimits = { maxDepth: 10, maxKeys: 200_000, maxBytes: 8 * 1024 * 1024 };

/**
 * Checks `value` against `limits` without recursion (so a hostile depth cannot overflow the stack).
 *
 * @returns undefined when within bounds, else a message saying which bound was crossed.
 */
export function checkBoundedJson(value: unknown, limits: BoundedJsonLimits): string | undefined {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 1 }];
  let keys = 0;
  let bytes = 0;
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') {
      bytes += typeof v === 'string' ? v.length + 2 : 8;
    } else {
      if (depth > limits.maxDepth) return `is nested deeper than ${limits.maxDepth} levels`;
      const entries = Array.isArray(v) ? v.map((x) => ['', x] as const) : Object.entries(v as Record<string, unknown>);
      keys += entries.length;
      if (keys > limits.maxKeys) return `has more than ${limits.maxKeys} keys and items`;
      bytes += 2;
      for (const [k, child] of entries) {
        bytes += k.length + 3;
        stack.push({ v: child, depth: depth + 1 });
      }
    }
    if (bytes > limits.maxBytes) return `is larger than ${limits.maxBytes} bytes`;
  }
  return undefined;
}
