/**
 * Names from `candidates` close to `name`, case-insensitive: edit distance ≤ max(1, ⌊len/3⌋),
 * or a shared prefix of at least 3 characters covering 60 % of the shorter name
 * (`histo` → `histogram`, `triangle` → `triangular`). Best first, at most `limit`.
 * Used to say "did you mean 'rsi_14'?" in validation messages.
 */
export function suggestNames(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const target = name.toLowerCase();
  const maxDistance = Math.max(1, Math.floor(target.length / 3));
  const scored: { candidate: string; distance: number }[] = [];
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    const distance = editDistance(target, lower);
    const prefix = commonPrefixLength(target, lower);
    if (distance <= maxDistance || (prefix >= 3 && prefix >= 0.6 * Math.min(target.length, lower.length))) {
      scored.push({ candidate, distance });
    }
  }
  scored.sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate));
  return scored.slice(0, limit).map((s) => s.candidate);
}

/** `" (did you mean 'a' or 'b'?)"`, or '' when nothing is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const close = suggestNames(name, candidates);
  if (close.length === 0) return '';
  return ` (did you mean ${close.map((c) => `'${c}'`).join(' or ')}?)`;
}

/** Damerau-style edit distance (insert, delete, substitute, swap adjacent). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] as number;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(rows - 1, cols - 1);
}

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
