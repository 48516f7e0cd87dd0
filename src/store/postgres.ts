/**
 * The shared store: Postgres through `pg`, the same schema, migrations and queries as SQLite
 * (kysely's migrator takes an advisory lock, so several runners migrating at once is safe).
 * Errors name the server with the password masked, never the full connection string.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { StoreError } from '../errors.js';
import { redactUserinfo } from '../redact.js';
import { kyselyStore } from './kysely-store.js';
import { migrate } from './migrations.js';
import type { Database } from './schema.js';
import type { Store } from './types.js';

export async function openPostgresStore(url: string): Promise<Store> {
  const shown = redactUserinfo(url);
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    const reason = err instanceof Error ? redactUserinfo(err.message).replaceAll(url, shown) : String(err);
    throw new StoreError(`store ${shown} cannot be used (${reason})`, undefined, 'Check the server is reachable and the user may create tables in that database.');
  }
  return kyselyStore(db);
}
