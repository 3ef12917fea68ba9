import type { OperationStore } from './operation-store.js';
import { PostgresOperationStore } from './postgres-operation-store.js';
import { SqliteOperationStore } from './sqlite-operation-store.js';

/** True for a `postgres://` or `postgresql://` URL. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * The operations store at `location`: PostgreSQL for a `postgres://…` URL (KTRDR_DATABASE_URL),
 * SQLite for a file path (KTRDR_DB_PATH, the embedded default).
 */
export async function openOperationStore(location: string): Promise<OperationStore> {
  return isPostgresUrl(location) ? PostgresOperationStore.open(location) : new SqliteOperationStore(location);
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
