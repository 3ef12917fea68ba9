import type { MetricRecord, Operation, OperationStatus } from '../../contracts/index.js';
import type { OperationPage, OperationQuery, OperationStore } from './operation-store.js';

const clone = <T>(v: T): T => structuredClone(v);

/** OperationStore in memory: for tests and throwaway clusters. Loses everything on exit. */
export class MemoryOperationStore implements OperationStore {
  readonly #ops = new Map<string, { op: Operation; request: unknown }>();
  readonly #metrics = new Map<string, MetricRecord[]>();
  readonly #results = new Map<string, unknown>();

  insert(op: Operation, request: unknown): void {
    this.#ops.set(op.operation_id, { op: clone(op), request: clone(request) });
  }
  update(op: Operation): void {
    const e = this.#ops.get(op.operation_id);
    if (e) e.op = clone(op);
  }
  get(operationId: string): Operation | undefined {
    const e = this.#ops.get(operationId);
    return e ? clone(e.op) : undefined;
  }
  list(q: OperationQuery): OperationPage {
    const all = [...this.#ops.values()].map((e) => e.op).reverse();
    const active = all.filter((o) => o.status === 'pending' || o.status === 'running').length;
    const matching = all.filter(
      (o) =>
        (!q.status || o.status === q.status) &&
        (!q.operationType || o.operation_type === q.operationType) &&
        (!q.activeOnly || o.status === 'pending' || o.status === 'running'),
    );
    return { items: matching.slice(q.offset, q.offset + q.limit).map(clone), total: matching.length, active };
  }
  listActive(): Operation[] {
    return [...this.#ops.values()].map((e) => e.op).filter((o) => o.status === 'pending' || o.status === 'running').map(clone);
  }
  getRequest(operationId: string): unknown {
    return clone(this.#ops.get(operationId)?.request);
  }
  saveMetrics(operationId: string, metrics: MetricRecord[]): void {
    this.#metrics.set(operationId, clone(metrics));
  }
  getMetrics(operationId: string, cursor: number): MetricRecord[] {
    return clone((this.#metrics.get(operationId) ?? []).slice(cursor));
  }
  saveResult(operationId: string, result: unknown): void {
    this.#results.set(operationId, clone(result));
  }
  getResult(operationId: string): unknown | undefined {
    return clone(this.#results.get(operationId));
  }
  countByTypeAndStatus() {
    const counts = new Map<string, { operation_type: string; status: OperationStatus; count: number }>();
    for (const { op } of this.#ops.values()) {
      const key = `${op.operation_type}\u0000${op.status}`;
      const c = counts.get(key) ?? { operation_type: op.operation_type, status: op.status, count: 0 };
      c.count++;
      counts.set(key, c);
    }
    return [...counts.values()];
  }
  close(): void {}
}
