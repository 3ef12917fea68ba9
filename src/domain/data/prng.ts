/**
 * A small seeded pseudo-random generator (xoshiro128**, seeded through splitmix32) with uniform and
 * standard-normal draws. Pure integer arithmetic plus `Math.log`/`Math.sqrt`, so a seed gives the
 * same stream on every run and platform.
 */
export interface Prng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Standard normal N(0, 1) (Marsaglia polar method). */
  normal(): number;
  /** Unsigned 32-bit integer. */
  nextUint32(): number;
}

/** Creates a generator from any finite number (its integer part modulo 2^32 is used) or string. */
export function createPrng(seed: number | string): Prng {
  let x = typeof seed === 'string' ? hashString(seed) : Math.trunc(seed) >>> 0;
  // splitmix32 expands one 32-bit seed into four well-mixed state words (never all zero in practice).
  const splitmix = (): number => {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let s0 = splitmix();
  let s1 = splitmix();
  let s2 = splitmix();
  let s3 = splitmix();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  const next = (): number => nextUint32() / 4_294_967_296;

  let spare = NaN;
  const normal = (): number => {
    if (!Number.isNaN(spare)) {
      const v = spare;
      spare = NaN;
      return v;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * next() - 1;
      v = 2 * next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    spare = v * f;
    return u * f;
  };
  return { next, normal, nextUint32 };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** FNV-1a 32-bit hash, used to turn string seeds (and symbol names) into numeric seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
