import { randomHex, type Attempt, type AttemptOutcome, type Operation } from '../../contracts/index.js';

/**
 * Dispatch attempts (fencing tokens): each start of an operation on a worker opens one; only the
 * current, open attempt's reports count.
 */
export function newAttemptId(): string {
  return `att_${randomHex(12)}`;
}

export function currentAttempt(op: Operation): Attempt | undefined {
  return op.attempts?.at(-1);
}

/** The op's attempts with `attemptId` closed (when still open) with `outcome` at `at`. */
export function endAttempt(op: Operation, attemptId: string, outcome: AttemptOutcome, at: string, detail: string | null = null): Attempt[] {
  return (op.attempts ?? []).map((a) => (a.attempt_id === attemptId && a.ended_at === null ? { ...a, outcome, ended_at: at, detail } : a));
}

/** The op's attempts with the current one closed (when open), else unchanged. */
export function endCurrentAttempt(op: Operation, outcome: AttemptOutcome, at: string, detail: string | null = null): Attempt[] | undefined {
  const a = currentAttempt(op);
  return a && a.ended_at === null ? endAttempt(op, a.attempt_id, outcome, at, detail) : op.attempts;
}

/** Attempts that count against the op's budget: the ones a worker took (not abandoned or refused starts). */
export function attemptsUsed(attempts: readonly Attempt[] | undefined): number {
  return (attempts ?? []).filter((x) => x.outcome !== 'abandoned' && x.outcome !== 'rejected').length;
}

/** True when a worker claimed this attempt (it runs, or already ran to an end, there). */
export function wasClaimed(op: Operation | undefined, attemptId: string): boolean {
  const a = op?.attempts?.find((x) => x.attempt_id === attemptId);
  return a?.claimed_at !== undefined && a.claimed_at !== null;
}

/** True for a `pending` op whose open attempt was given ahead to a busy worker (not started, or its claim is on the way). */
export function isPrefetched(op: Operation): boolean {
  const a = currentAttempt(op);
  return op.status === 'pending' && a?.prefetched === true && a.ended_at === null;
}
