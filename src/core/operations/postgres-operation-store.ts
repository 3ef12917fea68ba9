import pg from 'pg';
import type { MetricRecord, Operation, OperationStatus } from '../../contracts/index.js';
import { ACTIVE_SQL, MUTABLE_COLUMNS, OPERATION_COLUMNS, TERMINAL_SQL, stringifyOrNull, toOperation, toQueuedRow, toRow } from './operation-row.js';
import type { OperationRow } from './operation-row.js';
import type { ActiveRecord, OperationPage, OperationQuery, OperationStore, QueuedRow } from './operation-store.js';

/**
 * Versioned schema migrations: `schema_migrations` records each one that ran (with the database's
 * time). Append only; never edit a migration that has shipped. JSON-valued columns are text, as in
 * the SQLite store, so what a worker sent comes back byte for byte; the operation's own timestamps
 * are the backend's ISO strings, and `updated_at` is the database's clock.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE operations (
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
     status_detail  TEXT,
     attempts       TEXT NOT NULL DEFAULT '[]',
     priority       INTEGER NOT NULL DEFAULT 0,
     max_attempts   INTEGER NOT NULL DEFAULT 1,
     dispatch       TEXT,
     request        TEXT NOT NULL,
     seq            BIGINT NOT NULL UNIQUE,
     updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
   );
   CREATE INDEX operations_status ON operations(status);
   CREATE INDEX operations_queue ON operations(priority DESC, seq) WHERE status = 'queued';
   CREATE TABLE operation_metrics (
     operation_id TEXT NOT NULL,
     idx          INTEGER NOT NULL,
     metric       TEXT NOT NULL,
     PRIMARY KEY (operation_id, idx)
   );
   CREATE TABLE operation_results (
     operation_id TEXT PRIMARY KEY,
     result       TEXT NOT NULL
   );
   CREATE TABLE sweeps (
     sweep_id TEXT PRIMARY KEY,
     state    TEXT NOT NULL
   );`,
];

/** Any constant: serializes migrations when several backends start against one database. */
const MIGRATION_LOCK = 0x6b747264;

/** An insert's columns: the operation's, then the store's own (updated_at defaults to the database's clock). */
const INSERT_COLUMNS = [...OPERATION_COLUMNS, 'dispatch', 'request', 'seq'];
/** An update's SET clause: $1 is the operation id, then MUTABLE_COLUMNS in order. */
const SET_ROW = `${MUTABLE_COLUMNS.map((c, i) => `${c} = $${i + 2}`).join(', ')}, updated_at = now()`;

/** JSON documents kept as text under one key: a table, its key column and its value column. */
const DOCUMENTS = {
  request: { table: 'operations', key: 'operation_id', value: 'request' },
  result: { table: 'operation_results', key: 'operation_id', value: 'result' },
  sweep: { table: 'sweeps', key: 'sweep_id', value: 'state' },
} as const;
type Document = (typeof DOCUMENTS)[keyof typeof DOCUMENTS];

type QueuedSqlRow = Parameters<typeof toQueuedRow>[0];

/** The database a URL names, or undefined when it names none. */
function databaseOf(url: string): string | undefined {
  try {
    const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
    return name === '' ? undefined : name;
  } catch {
    return undefined;
  }
}

/**
 * OperationStore on PostgreSQL (`KTRDR_DATABASE_URL=postgres://…`), for a backend whose state
 * must outlive its host (several hosts, Kubernetes). One pool; the queue's claim uses
 * `FOR UPDATE SKIP LOCKED`, so concurrent claimers never block on or share a row.
 */
export class PostgresOperationStore implements OperationStore {
  readonly #pool: pg.Pool;
  #closed = false;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /**
   * Connects and migrates. A database the URL names but the server lacks is created first (the
   * role needs CREATEDB for that; otherwise create it beforehand).
   */
  static async open(url: string, opts: { poolSize?: number } = {}): Promise<PostgresOperationStore> {
    const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10 });
    // An idle client's error (the server restarted) must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    const store = new PostgresOperationStore(pool);
    try {
      await store.#migrate();
    } catch (err) {
      await pool.end();
      if ((err as { code?: string }).code !== '3D000') throw err;
      await createDatabase(url);
      return PostgresOperationStore.open(url, opts);
    }
    return store;
  }

  async #migrate(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ v: number | null }>(`SELECT MAX(version) AS v FROM schema_migrations`);
      const version = rows[0]?.v ?? 0;
      if (version > MIGRATIONS.length) {
        throw new Error(`database schema version ${version} is newer than this ktrdr (${MIGRATIONS.length}): upgrade ktrdr`);
      }
      for (let v = version; v < MIGRATIONS.length; v++) {
        await client.query(MIGRATIONS[v]!);
        await client.query(`INSERT INTO schema_migrations (version) VALUES ($1)`, [v + 1]);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async #tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Applied migrations, oldest first (for tests and diagnostics). */
  async migrations(): Promise<{ version: number; applied_at: string }[]> {
    const { rows } = await this.#pool.query<{ version: number; applied_at: Date }>(`SELECT version, applied_at FROM schema_migrations ORDER BY version`);
    return rows.map((r) => ({ version: r.version, applied_at: r.applied_at.toISOString() }));
  }

  async insert(op: Operation, request: unknown, dispatch: unknown, seq: number): Promise<void> {
    const row = toRow(op);
    const values = [...OPERATION_COLUMNS.map((c) => row[c]), stringifyOrNull(dispatch), JSON.stringify(request ?? null), seq];
    const placeholders = values.map((_, i) => `$${i + 1}`).join(', ');
    await this.#pool.query(`INSERT INTO operations (${INSERT_COLUMNS.join(', ')}) VALUES (${placeholders})`, values);
  }

  async maxSeq(): Promise<number> {
    const { rows } = await this.#pool.query<{ seq: string }>(`SELECT COALESCE(MAX(seq), 0) AS seq FROM operations`);
    return Number(rows[0]!.seq);
  }

  async delete(operationId: string): Promise<void> {
    await this.#tx(async (c) => {
      for (const table of ['operations', 'operation_metrics', 'operation_results']) {
        await c.query(`DELETE FROM ${table} WHERE operation_id = $1`, [operationId]);
      }
    });
  }

  async listQueued(): Promise<QueuedRow[]> {
    const { rows } = await this.#pool.query<QueuedSqlRow>(
      `SELECT operation_id, seq, priority, dispatch FROM operations WHERE status = 'queued' ORDER BY priority DESC, seq`,
    );
    return rows.map(toQueuedRow);
  }

  async dispatchOf(operationId: string): Promise<QueuedRow | undefined> {
    const { rows } = await this.#pool.query<QueuedSqlRow>(`SELECT operation_id, seq, priority, dispatch FROM operations WHERE operation_id = $1`, [
      operationId,
    ]);
    return rows[0] ? toQueuedRow(rows[0]) : undefined;
  }

  async claim(op: Operation): Promise<boolean> {
    // A row another backend is claiming at this instant is skipped, not waited for: it is theirs.
    return this.#write(op, `(SELECT operation_id FROM operations WHERE operation_id = $1 AND status = 'queued' FOR UPDATE SKIP LOCKED)`);
  }

  async update(op: Operation): Promise<boolean> {
    // A terminal row is never written again: the state machine's last line of defence.
    return this.#write(op, `$1 AND status NOT IN ${TERMINAL_SQL}`);
  }

  /** Writes the op's row where `operation_id = {where}` ($1 is its id); whether a row was written. */
  async #write(op: Operation, where: string): Promise<boolean> {
    const row = toRow(op);
    const { rowCount } = await this.#pool.query(`UPDATE operations SET ${SET_ROW} WHERE operation_id = ${where}`, [
      row.operation_id,
      ...MUTABLE_COLUMNS.map((c) => row[c]),
    ]);
    return (rowCount ?? 0) > 0;
  }

  async get(operationId: string): Promise<Operation | undefined> {
    const { rows } = await this.#pool.query<OperationRow>(`SELECT * FROM operations WHERE operation_id = $1`, [operationId]);
    return rows[0] ? toOperation(rows[0]) : undefined;
  }

  async updatedAt(operationId: string): Promise<string | undefined> {
    const { rows } = await this.#pool.query<{ updated_at: Date }>(`SELECT updated_at FROM operations WHERE operation_id = $1`, [operationId]);
    return rows[0]?.updated_at.toISOString();
  }

  async list(q: OperationQuery): Promise<OperationPage> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.status) {
      args.push(q.status);
      where.push(`status = $${args.length}`);
    }
    if (q.operationType) {
      args.push(q.operationType);
      where.push(`operation_type = $${args.length}`);
    }
    if (q.activeOnly) where.push(`status IN ${ACTIVE_SQL}`);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [page, total, active] = await Promise.all([
      this.#pool.query<OperationRow>(
        `SELECT * FROM operations ${clause} ORDER BY seq DESC LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
        [...args, q.limit, q.offset],
      ),
      this.#pool.query<{ n: string }>(`SELECT COUNT(*) AS n FROM operations ${clause}`, args),
      this.#pool.query<{ n: string }>(`SELECT COUNT(*) AS n FROM operations WHERE status IN ${ACTIVE_SQL}`),
    ]);
    return { items: page.rows.map(toOperation), total: Number(total.rows[0]!.n), active: Number(active.rows[0]!.n) };
  }

  async listActive(): Promise<ActiveRecord[]> {
    const { rows } = await this.#pool.query<OperationRow & { seq: string; dispatch: string | null }>(
      `SELECT * FROM operations WHERE status IN ${ACTIVE_SQL} ORDER BY seq`,
    );
    return rows.map((r) => ({ op: toOperation(r), seq: Number(r.seq), dispatch: r.dispatch === null ? undefined : (JSON.parse(r.dispatch) as unknown) }));
  }

  async getRequest(operationId: string): Promise<unknown> {
    return this.#getDocument(DOCUMENTS.request, operationId);
  }

  async saveMetrics(operationId: string, metrics: MetricRecord[]): Promise<void> {
    await this.#tx(async (c) => {
      await c.query(`DELETE FROM operation_metrics WHERE operation_id = $1`, [operationId]);
      if (metrics.length === 0) return;
      await c.query(
        `INSERT INTO operation_metrics (operation_id, idx, metric)
         SELECT $1, m.ord - 1, m.metric FROM unnest($2::text[]) WITH ORDINALITY AS m(metric, ord)`,
        [operationId, metrics.map((m) => JSON.stringify(m))],
      );
    });
  }

  async getMetrics(operationId: string, cursor: number): Promise<MetricRecord[]> {
    const { rows } = await this.#pool.query<{ metric: string }>(
      `SELECT metric FROM operation_metrics WHERE operation_id = $1 AND idx >= $2 ORDER BY idx`,
      [operationId, cursor],
    );
    return rows.map((r) => JSON.parse(r.metric) as MetricRecord);
  }

  async saveResult(operationId: string, result: unknown): Promise<void> {
    await this.#putDocument(DOCUMENTS.result, operationId, result);
  }

  async getResult(operationId: string): Promise<unknown | undefined> {
    return this.#getDocument(DOCUMENTS.result, operationId);
  }

  async saveSweep(sweepId: string, state: unknown): Promise<void> {
    await this.#putDocument(DOCUMENTS.sweep, sweepId, state);
  }

  async getSweep(sweepId: string): Promise<unknown | undefined> {
    return this.#getDocument(DOCUMENTS.sweep, sweepId);
  }

  async #putDocument(doc: typeof DOCUMENTS.result | typeof DOCUMENTS.sweep, key: string, value: unknown): Promise<void> {
    await this.#pool.query(
      `INSERT INTO ${doc.table} (${doc.key}, ${doc.value}) VALUES ($1, $2) ON CONFLICT (${doc.key}) DO UPDATE SET ${doc.value} = EXCLUDED.${doc.value}`,
      [key, JSON.stringify(value)],
    );
  }

  async #getDocument(doc: Document, key: string): Promise<unknown | undefined> {
    const { rows } = await this.#pool.query<{ v: string }>(`SELECT ${doc.value} AS v FROM ${doc.table} WHERE ${doc.key} = $1`, [key]);
    return rows[0] ? (JSON.parse(rows[0].v) as unknown) : undefined;
  }

  async activeSweepIds(): Promise<string[]> {
    const { rows } = await this.#pool.query<{ sweep_id: string }>(
      `SELECT s.sweep_id FROM sweeps s JOIN operations o ON o.operation_id = s.sweep_id WHERE o.status IN ${ACTIVE_SQL} ORDER BY o.seq`,
    );
    return rows.map((r) => r.sweep_id);
  }

  async countByTypeAndStatus(): Promise<{ operation_type: string; status: OperationStatus; count: number }[]> {
    const { rows } = await this.#pool.query<{ operation_type: string; status: OperationStatus; count: string }>(
      `SELECT operation_type, status, COUNT(*) AS count FROM operations GROUP BY operation_type, status`,
    );
    return rows.map((r) => ({ ...r, count: Number(r.count) }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}

/** Creates the database `url` names, through the server's `postgres` maintenance database. */
async function createDatabase(url: string): Promise<void> {
  const name = databaseOf(url);
  if (!name) throw new Error(`KTRDR_DATABASE_URL names no database: ${url}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (err) {
    // Another backend created it meanwhile.
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await client.end();
  }
}
