/**
 * Fuzzy membership functions (triangular, trapezoidal, gaussian), scalar and vectorised.
 *
 * Shoulder convention: a flat edge means "open-ended". A triangular `[a, b, c]` with `a == b`
 * is a LEFT shoulder (membership 1 for every x ≤ b) and with `b == c` a RIGHT shoulder
 * (1 for every x ≥ b); likewise a trapezoid `[a, b, c, d]` with `a == b` is 1 for x ≤ c and with
 * `c == d` is 1 for x ≥ b. Without a flat edge, membership is 0 at and beyond the feet (x ≤ a,
 * x ≥ c / x ≥ d). This is what lets `oversold: [0, 0, 30]`-style sets cover the whole tail.
 *
 * NaN inputs give NaN (a warming-up indicator stays "unknown"); ±Infinity follow the formulas.
 */

/** The kinds of membership function a strategy may use. */
export const MEMBERSHIP_TYPES = ['triangular', 'trapezoidal', 'gaussian'] as const;

/** One of {@link MEMBERSHIP_TYPES}. */
export type MembershipType = (typeof MEMBERSHIP_TYPES)[number];

/**
 * A membership function as stored in a validated strategy.
 * - triangular: `[a, b, c]`, a ≤ b ≤ c, a < c
 * - trapezoidal: `[a, b, c, d]`, a ≤ b ≤ c ≤ d, a < d
 * - gaussian: `[mean, sigma]`, sigma > 0
 */
export type MembershipFunctionSpec =
  | { readonly type: 'triangular'; readonly parameters: readonly [number, number, number] }
  | { readonly type: 'trapezoidal'; readonly parameters: readonly [number, number, number, number] }
  | { readonly type: 'gaussian'; readonly parameters: readonly [number, number] };

/** Number of parameters each membership type takes. */
export const MEMBERSHIP_PARAMETER_COUNT: Readonly<Record<MembershipType, number>> = {
  triangular: 3,
  trapezoidal: 4,
  gaussian: 2,
};

/**
 * Checks a membership function's parameters; returns a human-readable problem, or undefined
 * when they are valid. Used by strategy validation so every rule lives in one place.
 */
export function membershipParameterProblem(type: MembershipType, parameters: readonly number[]): string | undefined {
  const expected = MEMBERSHIP_PARAMETER_COUNT[type];
  if (parameters.length !== expected) {
    return `${type} membership needs ${expected} parameters, got ${parameters.length}`;
  }
  if (!parameters.every(Number.isFinite)) return 'parameters must be finite numbers';
  const [p0, p1, p2, p3] = parameters as [number, number, number, number];
  switch (type) {
    case 'triangular':
      if (!(p0 <= p1 && p1 <= p2)) return `triangular parameters must satisfy a ≤ b ≤ c, got [${parameters.join(', ')}]`;
      if (!(p0 < p2)) return `triangular parameters must not be all equal (a < c), got [${parameters.join(', ')}]`;
      return undefined;
    case 'trapezoidal':
      if (!(p0 <= p1 && p1 <= p2 && p2 <= p3)) {
        return `trapezoidal parameters must satisfy a ≤ b ≤ c ≤ d, got [${parameters.join(', ')}]`;
      }
      if (!(p0 < p3)) return `trapezoidal parameters must not be all equal (a < d), got [${parameters.join(', ')}]`;
      return undefined;
    case 'gaussian':
      if (!(p1 > 0)) return `gaussian sigma must be > 0, got ${p1}`;
      return undefined;
  }
}

/** Triangular membership of `x` (see the module doc for shoulders). */
export function triangularMembership(x: number, a: number, b: number, c: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < b) {
    if (a === b) return 1;
    return x <= a ? 0 : (x - a) / (b - a);
  }
  if (x === b) return 1;
  if (b === c) return 1;
  return x >= c ? 0 : (c - x) / (c - b);
}

/** Trapezoidal membership of `x` (see the module doc for shoulders). */
export function trapezoidalMembership(x: number, a: number, b: number, c: number, d: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < b) {
    if (a === b) return 1;
    return x <= a ? 0 : (x - a) / (b - a);
  }
  if (x <= c) return 1;
  if (c === d) return 1;
  return x >= d ? 0 : (d - x) / (d - c);
}

/** Gaussian membership `exp(-0.5 · ((x − mean) / sigma)²)`. */
export function gaussianMembership(x: number, mean: number, sigma: number): number {
  const z = (x - mean) / sigma;
  return Math.exp(-0.5 * z * z);
}

/** Membership of one value under any {@link MembershipFunctionSpec}. */
export function evaluateMembership(spec: MembershipFunctionSpec, x: number): number {
  switch (spec.type) {
    case 'triangular':
      return triangularMembership(x, spec.parameters[0], spec.parameters[1], spec.parameters[2]);
    case 'trapezoidal':
      return trapezoidalMembership(x, spec.parameters[0], spec.parameters[1], spec.parameters[2], spec.parameters[3]);
    case 'gaussian':
      return gaussianMembership(x, spec.parameters[0], spec.parameters[1]);
  }
}

/**
 * Vectorised membership: writes `mf(input[i])` into `out[i]` for every i and returns `out`
 * (a new Float64Array when `out` is omitted). NaN inputs give NaN.
 *
 * A trapezoid covers all three kinds of piecewise-linear set (a triangle is a trapezoid with
 * b == c), so one tight loop serves both and stays monomorphic for V8.
 */
export function membershipArray<T extends Float32Array | Float64Array = Float64Array>(
  spec: MembershipFunctionSpec,
  input: Float64Array | Float32Array,
  out?: T,
): T {
  const n = input.length;
  const result = (out ?? new Float64Array(n)) as T;
  if (result.length < n) throw new RangeError(`output length ${result.length} < input length ${n}`);
  if (spec.type === 'gaussian') {
    const mean = spec.parameters[0];
    const sigma = spec.parameters[1];
    for (let i = 0; i < n; i++) {
      const z = ((input[i] as number) - mean) / sigma;
      result[i] = Math.exp(-0.5 * z * z);
    }
    return result;
  }
  const p = spec.parameters;
  const a = p[0];
  const b = p[1];
  const c = spec.type === 'triangular' ? p[1] : (p[2] as number);
  const d = spec.type === 'triangular' ? p[2] : (p[3] as number);
  const leftShoulder = a === b;
  const rightShoulder = c === d;
  const rise = b - a;
  const fall = d - c;
  for (let i = 0; i < n; i++) {
    const x = input[i] as number;
    let m: number;
    if (x < b) m = leftShoulder ? 1 : x <= a ? 0 : (x - a) / rise;
    else if (x <= c) m = 1;
    else if (rightShoulder) m = 1;
    else m = x >= d ? 0 : (d - x) / fall;
    // Every comparison with NaN is false, which would land in the falling-edge branch.
    result[i] = x === x ? m : NaN;
  }
  return result;
}
