/**
 * Guards the low-level indicator functions against a period the registry would have rejected
 * (they are exported, so they may be called directly).
 * @throws RangeError when `period` is not a safe integer >= 1.
 */
export function assertPeriod(name: string, period: number): void {
  if (!Number.isSafeInteger(period) || period < 1) {
    throw new RangeError(`${name} must be an integer >= 1, got ${period}`);
  }
}
