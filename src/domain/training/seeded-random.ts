/**
 * A small deterministic PRNG (mulberry32) so shuffles are reproducible from a seed.
 * Not cryptographic; 2^32 period, plenty for shuffling training batches.
 *
 * @returns a function yielding uniform floats in [0, 1).
 */
export function createSeededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of `array` in place using `random` (uniform [0, 1)). */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(array: T, random: () => number): T {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = array[i] as number;
    array[i] = array[j] as number;
    array[j] = tmp;
  }
  return array;
}
