import { isTerminal, type OperationStatus } from '../../contracts/index.js';

/**
 * The operation state machine, the one place that says which status may follow which.
 *
 *   queued ──▶ pending ──▶ running ──▶ completed | failed | cancelled
 *     ▲          │  │         │
 *     └──────────┘  └─▶ ...   └──▶ queued (retry after a lost worker)
 *
 * `queued`: waiting for a free worker. `pending`: a start request is in flight. Terminal states
 * are final: nothing leaves them, whatever arrives late (a start reply, a report, a cancel).
 */
const NEXT: Readonly<Record<OperationStatus, readonly OperationStatus[]>> = {
  queued: ['pending', 'failed', 'cancelled'],
  pending: ['running', 'queued', 'failed', 'cancelled', 'completed'],
  running: ['completed', 'failed', 'cancelled', 'queued'],
  completed: [],
  failed: [],
  cancelled: [],
};

export function canTransition(from: OperationStatus, to: OperationStatus): boolean {
  return from === to ? !isTerminal(from) : NEXT[from].includes(to);
}
