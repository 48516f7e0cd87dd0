/**
 * The embedded store: SQLite through better-sqlite3 (WAL, busy timeout), schema migrated on open.
 * Any failure to open becomes a StoreError naming the path, never a driver stack trace.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { StoreError } from '../errors.js';
import { kyselyStore } from './kysely-store.js';
import { migrate } from './migrations.js';
import type { Database } from './schema.js';
import type { Store } from './types.js';

/** How long a writer waits for another process's lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5_000;
const CACHE_KIB = 4096;

export async function openSqliteStore(path: string): Promise<Store> {
  let sqlite: BetterSqlite3.Database | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    sqlite = new BetterSqlite3(path);
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    // better-sqlite3 builds with a 16 MB page cache; every command is a short-lived process that
    // starts cold, so a bigger cache buys little and costs RSS over a long window (bench/memory.js).
    sqlite.pragma(`cache_size = -${CACHE_KIB}`);
  } catch (err) {
    sqlite?.close();
    throw openError(path, err);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    throw openError(path, err);
  }
  return kyselyStore(db);
}

function openError(path: string, err: unknown): StoreError {
  const code = (err as { code?: string }).code ?? '';
  const reason =
    code === 'SQLITE_NOTADB'
      ? 'is not a seqpulse store (not a SQLite database)'
      : code === 'EACCES' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'EROFS'
        ? 'cannot be opened for writing'
        : code === 'ENOTDIR' || code === 'EEXIST'
          ? 'is under a path that is not a directory'
          : `cannot be opened (${err instanceof Error ? err.message : String(err)})`;
  return new StoreError(`store ${path} ${reason}`, err, 'Check --store (default .seqpulse/seqpulse.db): it must be a writable SQLite file in a writable directory.');
}
