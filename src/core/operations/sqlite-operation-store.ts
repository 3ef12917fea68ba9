import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { MetricRecord, Operation, OperationStatus } from '../../contracts/index.js';
import { ACTIVE_SQL, MUTABLE_COLUMNS, OPERATION_COLUMNS, TERMINAL_SQL, stringifyOrNull, toOperation, toQueuedRow, toRow } from './operation-row.js';
import type { OperationRow } from './operation-row.js';
import type { ActiveRecord, OperationPage, OperationQuery, OperationStore, QueuedRow } from './operation-store.js';

/**
 * Versioned schema migrations: `PRAGMA user_version` records how many have run. Append only; never
 * edit a migration that has shipped. A database from before versioning (user_version 0 with the
 * operations table present) is at version 1.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS operations (
     operation_id   TEXT PRIMARY KEY,
     operation_type TEXT NOT NULL,
     status         TEXT NOT NULL,
     worker_id      TEXT,
     created_at     TEXT NOT NULL,
     started_at     TEXT,
     completed_at   TEXT,
     progress       TEXT NOT NULL,
     metadata       TEXT NOT NULL,
     error_message  TEXT,
     result_summary TEXT,
     request        TEXT NOT NULL,
     seq            INTEGER NOT NULL
   );
   CREATE INDEX IF NOT EXISTS operations_status ON operations(status);
   CREATE INDEX IF NOT EXISTS operations_seq ON operations(seq);
   CREATE TABLE IF NOT EXISTS operation_metrics (
     operation_id TEXT NOT NULL,
     idx          INTEGER NOT NULL,
     metric       TEXT NOT NULL,
     PRIMARY KEY (operation_id, idx)
   );
   CREATE TABLE IF NOT EXISTS operation_results (
     operation_id TEXT PRIMARY KEY,
     result       TEXT NOT NULL
   );`,
  // Attempts (fencing tokens), a status detail, and the queue's priority.
  `ALTER TABLE operations ADD COLUMN attempts TEXT NOT NULL DEFAULT '[]';
   ALTER TABLE operations ADD COLUMN status_detail TEXT;
   ALTER TABLE operations ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX IF NOT EXISTS operations_queue ON operations(status, priority DESC, seq);`,
  // The queue: where a waiting operation goes (worker type, start path, payload) and its retry budget.
  `ALTER TABLE operations ADD COLUMN dispatch TEXT;
   ALTER TABLE operations ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 1;`,
  // Sweeps: a parent operation's children and plan (survives a restart; the coordinator resumes it).
  `CREATE TABLE IF NOT EXISTS sweeps (
     sweep_id TEXT PRIMARY KEY,
     state    TEXT NOT NULL
   );`,
  // When the store last wrote a row, by the database's clock.
  `ALTER TABLE operations ADD COLUMN updated_at TEXT;`,
];

const NOW_SQL = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;
/** An insert's columns: the operation's, then the store's own (updated_at is the database's clock). */
const INSERT_COLUMNS = [...OPERATION_COLUMNS, 'dispatch', 'request', 'seq'];
/** An update's SET clause (named parameters, from the operation's row). */
const SET_ROW = `${MUTABLE_COLUMNS.map((c) => `${c}=@${c}`).join(', ')}, updated_at=${NOW_SQL}`;

function migrate(db: Database.Database): void {
  let version = db.pragma('user_version', { simple: true }) as number;
  if (version === 0) {
    const legacy = db.prepare(`SELECT 1 FROM sqlite_master WHERE type='table' AND name='operations'`).get();
    if (legacy) version = 1;
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  if (version > MIGRATIONS.length) {
    throw new Error(`database schema version ${version} is newer than this ktrdr (${MIGRATIONS.length}): upgrade ktrdr`);
  }
}

/**
 * OperationStore on SQLite (WAL): survives backend restarts and crashes. better-sqlite3 is
 * synchronous; the methods answer with settled promises so that the interface fits a network
 * database too.
 */
export class SqliteOperationStore implements OperationStore {
  readonly #db: Database.Database;
  readonly #stmts;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the last commit).
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 5000');
    migrate(this.#db);
    const db = this.#db;
    this.#stmts = {
      insert: db.prepare(
        `INSERT INTO operations (${INSERT_COLUMNS.join(', ')}, updated_at)
         VALUES (${INSERT_COLUMNS.map((c) => `@${c}`).join(', ')}, ${NOW_SQL})`,
      ),
      maxSeq: db.prepare(`SELECT COALESCE(MAX(seq), 0) AS seq FROM operations`),
      // A terminal row is never written again: the state machine's last line of defence.
      update: db.prepare(`UPDATE operations SET ${SET_ROW} WHERE operation_id=@operation_id AND status NOT IN ${TERMINAL_SQL}`),
      get: db.prepare(`SELECT * FROM operations WHERE operation_id = ?`),
      updatedAt: db.prepare(`SELECT updated_at FROM operations WHERE operation_id = ?`),
      active: db.prepare(`SELECT * FROM operations WHERE status IN ${ACTIVE_SQL} ORDER BY seq`),
      request: db.prepare(`SELECT request FROM operations WHERE operation_id = ?`),
      queued: db.prepare(`SELECT operation_id, seq, priority, dispatch FROM operations WHERE status = 'queued' ORDER BY priority DESC, seq`),
      dispatchOf: db.prepare(`SELECT operation_id, seq, priority, dispatch FROM operations WHERE operation_id = ?`),
      // SQLite has one writer at a time: the conditional UPDATE is the claim.
      claim: db.prepare(`UPDATE operations SET ${SET_ROW} WHERE operation_id=@operation_id AND status = 'queued'`),
      del: db.prepare(`DELETE FROM operations WHERE operation_id = ?`),
      delMetrics: db.prepare(`DELETE FROM operation_metrics WHERE operation_id = ?`),
      delResult: db.prepare(`DELETE FROM operation_results WHERE operation_id = ?`),
      insMetric: db.prepare(`INSERT INTO operation_metrics (operation_id, idx, metric) VALUES (?, ?, ?)`),
      getMetrics: db.prepare(`SELECT metric FROM operation_metrics WHERE operation_id = ? AND idx >= ? ORDER BY idx`),
      saveResult: db.prepare(`INSERT OR REPLACE INTO operation_results (operation_id, result) VALUES (?, ?)`),
      getResult: db.prepare(`SELECT result FROM operation_results WHERE operation_id = ?`),
      saveSweep: db.prepare(`INSERT OR REPLACE INTO sweeps (sweep_id, state) VALUES (?, ?)`),
      getSweep: db.prepare(`SELECT state FROM sweeps WHERE sweep_id = ?`),
      activeSweeps: db.prepare(
        `SELECT s.sweep_id FROM sweeps s JOIN operations o ON o.operation_id = s.sweep_id WHERE o.status IN ${ACTIVE_SQL} ORDER BY o.seq`,
      ),
      counts: db.prepare(`SELECT operation_type, status, COUNT(*) AS count FROM operations GROUP BY operation_type, status`),
    };
  }

  async insert(op: Operation, request: unknown, dispatch: unknown, seq: number): Promise<void> {
    this.#stmts.insert.run({ ...toRow(op), request: JSON.stringify(request ?? null), dispatch: stringifyOrNull(dispatch), seq });
  }

  async maxSeq(): Promise<number> {
    return (this.#stmts.maxSeq.get() as { seq: number }).seq;
  }

  async delete(operationId: string): Promise<void> {
    this.#db.transaction(() => {
      this.#stmts.del.run(operationId);
      this.#stmts.delMetrics.run(operationId);
      this.#stmts.delResult.run(operationId);
    })();
  }

  async listQueued(): Promise<QueuedRow[]> {
    return (this.#stmts.queued.all() as Parameters<typeof toQueuedRow>[0][]).map(toQueuedRow);
  }

  async dispatchOf(operationId: string): Promise<QueuedRow | undefined> {
    const r = this.#stmts.dispatchOf.get(operationId) as Parameters<typeof toQueuedRow>[0] | undefined;
    return r ? toQueuedRow(r) : undefined;
  }

  async claim(op: Operation): Promise<boolean> {
    return this.#stmts.claim.run(toRow(op)).changes > 0;
  }

  async update(op: Operation): Promise<boolean> {
    return this.#stmts.update.run(toRow(op)).changes > 0;
  }

  async get(operationId: string): Promise<Operation | undefined> {
    const row = this.#stmts.get.get(operationId) as OperationRow | undefined;
    return row ? toOperation(row) : undefined;
  }

  async updatedAt(operationId: string): Promise<string | undefined> {
    const row = this.#stmts.updatedAt.get(operationId) as { updated_at: string | null } | undefined;
    return row?.updated_at ?? undefined;
  }

  async list(q: OperationQuery): Promise<OperationPage> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.status) {
      where.push('status = ?');
      args.push(q.status);
    }
    if (q.operationType) {
      where.push('operation_type = ?');
      args.push(q.operationType);
    }
    if (q.activeOnly) where.push(`status IN ${ACTIVE_SQL}`);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.#db
      .prepare(`SELECT * FROM operations ${clause} ORDER BY seq DESC LIMIT ? OFFSET ?`)
      .all(...args, q.limit, q.offset) as OperationRow[];
    const total = (this.#db.prepare(`SELECT COUNT(*) AS n FROM operations ${clause}`).get(...args) as { n: number }).n;
    const active = (
      this.#db.prepare(`SELECT COUNT(*) AS n FROM operations WHERE status IN ${ACTIVE_SQL}`).get() as { n: number }
    ).n;
    return { items: rows.map(toOperation), total, active };
  }

  async listActive(): Promise<ActiveRecord[]> {
    return (this.#stmts.active.all() as (OperationRow & { seq: number; dispatch: string | null })[]).map((r) => ({
      op: toOperation(r),
      seq: r.seq,
      dispatch: r.dispatch === null ? undefined : (JSON.parse(r.dispatch) as unknown),
    }));
  }

  async getRequest(operationId: string): Promise<unknown> {
    const row = this.#stmts.request.get(operationId) as { request: string } | undefined;
    return row ? JSON.parse(row.request) : undefined;
  }

  async saveMetrics(operationId: string, metrics: MetricRecord[]): Promise<void> {
    this.#db.transaction(() => {
      this.#stmts.delMetrics.run(operationId);
      metrics.forEach((m, i) => this.#stmts.insMetric.run(operationId, i, JSON.stringify(m)));
    })();
  }

  async getMetrics(operationId: string, cursor: number): Promise<MetricRecord[]> {
    return (this.#stmts.getMetrics.all(operationId, cursor) as { metric: string }[]).map(
      (r) => JSON.parse(r.metric) as MetricRecord,
    );
  }

  async saveResult(operationId: string, result: unknown): Promise<void> {
    this.#stmts.saveResult.run(operationId, JSON.stringify(result));
  }

  async getResult(operationId: string): Promise<unknown | undefined> {
    const row = this.#stmts.getResult.get(operationId) as { result: string } | undefined;
    return row ? JSON.parse(row.result) : undefined;
  }

  async saveSweep(sweepId: string, state: unknown): Promise<void> {
    this.#stmts.saveSweep.run(sweepId, JSON.stringify(state));
  }

  async getSweep(sweepId: string): Promise<unknown | undefined> {
    const row = this.#stmts.getSweep.get(sweepId) as { state: string } | undefined;
    return row ? (JSON.parse(row.state) as unknown) : undefined;
  }

  async activeSweepIds(): Promise<string[]> {
    return (this.#stmts.activeSweeps.all() as { sweep_id: string }[]).map((r) => r.sweep_id);
  }

  async countByTypeAndStatus(): Promise<{ operation_type: string; status: OperationStatus; count: number }[]> {
    return this.#stmts.counts.all() as { operation_type: string; status: OperationStatus; count: number }[];
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
