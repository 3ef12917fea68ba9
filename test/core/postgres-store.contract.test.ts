import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresOperationStore } from '../../src/core/operations/postgres-operation-store.js';
import { postgresUnavailable, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { storeContract } from './operation-store-contract.js';

/**
 * The store contract on a private PostgreSQL cluster this file starts (initdb in a temp dir,
 * pg_ctl on a loopback port) and removes. Without PostgreSQL binaries it fails, naming what to
 * install, unless KTRDR_SKIP_POSTGRES=1 says to skip.
 */
const missing = postgresUnavailable();
if (missing && process.env['KTRDR_SKIP_POSTGRES'] === '1') {
  test('postgres store contract', { skip: `KTRDR_SKIP_POSTGRES=1 (${missing})` }, () => undefined);
} else if (missing) {
  test('postgres store contract', () => {
    throw new Error(`${missing}; or set KTRDR_SKIP_POSTGRES=1 to skip these tests`);
  });
} else {
  let server: PrivatePostgres;
  before(async () => {
    server = await startPrivatePostgres();
  });
  after(async () => {
    await server?.stop();
  });
  storeContract('postgres', {
    async fresh() {
      // Each case on a database of its own (the store creates it on first open).
      const name = `ktrdr_c_${randomBytes(5).toString('hex')}`;
      return {
        open: () => PostgresOperationStore.open(server.urlFor(name)),
        drop: async () => {
          const admin = new pg.Client({ connectionString: server.url });
          await admin.connect();
          await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await admin.end();
        },
      };
    },
  });
  test('postgres: migrations are versioned in schema_migrations, stamped by the database clock', async () => {
    const store = await PostgresOperationStore.open(server.urlFor(`ktrdr_m_${randomBytes(5).toString('hex')}`));
    try {
      const applied = await store.migrations();
      assert.deepEqual(applied.map((m) => m.version), [1]);
      assert.ok(Math.abs(Date.parse(applied[0]!.applied_at) - Date.now()) < 60_000, `applied_at ${applied[0]!.applied_at} is now`);
    } finally {
      await store.close();
    }
  });
}
