/**
 * The embedded store for commands that only read it (history, show, verdict, report, analyze <id>,
 * the local side of sync): opened read-only, never migrated, nothing written, nothing created
 * beside it. A WAL database opened read-only the plain way creates (and leaves) its -wal and -shm
 * files, and cannot be opened at all in a directory it may not write to. So:
 * - no -wal file: no writer has the store open and every change is in the file itself; it is
 *   opened `immutable` (no locks, no side files). A writer that starts meanwhile writes to a new
 *   -wal and changes the file only when it checkpoints; a read across such a change is done again.
 * - a -wal file: a writer is at work (or was killed); the store is read through its -wal and -shm,
 *   which are there, with SQLite's own locking.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Kysely, SqliteDialect } from 'kysely';
import { SeqpulseError, StoreError } from '../errors.js';
import { checkStoreFiles, DAMAGED, DAMAGED_HINT } from './directory.js';
import { kyselyStore } from './kysely-store.js';
import { appliedMigrations, checkReadable } from './migrations.js';
import type { Database } from './schema.js';
import BetterSqlite3 from './sqlite-driver.js';
import type { Store } from './types.js';

/** Reads of one operation across a writer's checkpoint before giving up (each retry usually finds the -wal and reads through it). */
const ATTEMPTS = 3;

interface Connection {
  db: Kysely<Database>;
  store: Store;
  immutable: boolean;
  /** The file as it was when opened: an immutable connection's cache is only good while it is unchanged. */
  stamp: string;
}

export async function openSqliteReader(path: string): Promise<Store> {
  checkStoreFiles(path);
  let current = await connect(path, true);
  const reader: Record<string, unknown> = {};
  for (const name of Object.keys(current.store) as (keyof Store)[]) {
    if (name === 'close') continue;
    reader[name] = async (...args: unknown[]) => {
      for (let attempt = 1; ; attempt++) {
        if (stampOf(path) !== current.stamp) current = await reconnect(current, path);
        let result: { value: unknown } | { error: unknown };
        try {
          result = { value: await (current.store[name] as (...a: unknown[]) => Promise<unknown>)(...args) };
        } catch (error) {
          result = { error };
        }
        const torn = current.immutable && stampOf(path) !== current.stamp;
        if (!torn) {
          // seqpulse's own errors (a row it cannot read) pass as they are: wrapped, they lost their
          // class and gained a hint about read access that had nothing to do with them.
          if ('error' in result) throw result.error instanceof SeqpulseError ? result.error : readError(path, result.error, `failed (${message(result.error)})`);
          return result.value;
        }
        if (attempt === ATTEMPTS) throw new StoreError(`store ${path} kept changing while it was read (another process writing it)`, undefined, 'Try again, or once the run writing it is done.');
      }
    };
  }
  reader.close = () => current.db.destroy();
  return reader as unknown as Store;
}

async function reconnect(previous: Connection, path: string): Promise<Connection> {
  await previous.db.destroy();
  return connect(path, false);
}

async function connect(path: string, first: boolean): Promise<Connection> {
  const stamp = stampOf(path);
  const immutable = !existsSync(`${path}-wal`);
  let sqlite: BetterSqlite3.Database;
  try {
    sqlite = open(path, immutable);
  } catch (err) {
    throw readError(path, err, reasonFor(err, path));
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  if (first) {
    try {
      checkReadable(await appliedMigrationsOrNone(db), path);
    } catch (err) {
      await db.destroy();
      throw err instanceof StoreError ? err : readError(path, err, reasonFor(err, path));
    }
  }
  return { db, store: kyselyStore(db), immutable, stamp };
}

function open(path: string, immutable: boolean): BetterSqlite3.Database {
  const options = { readonly: true, fileMustExist: true };
  if (!immutable) return new BetterSqlite3(path, options);
  try {
    return new BetterSqlite3(`${pathToFileURL(path).href}?immutable=1`, options);
  } catch {
    // URI names are off (the driver was loaded before sqlite-driver.ts could turn them on): the plain way.
    return new BetterSqlite3(path, options);
  }
}

/** undefined when there is no migrations table at all: not a seqpulse store. */
async function appliedMigrationsOrNone(db: Kysely<Database>): Promise<string[] | undefined> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  return tables.some((t) => t.name === 'seqpulse_migrations') ? appliedMigrations(db) : undefined;
}

function stampOf(path: string): string {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch {
    return 'gone';
  }
}

function reasonFor(err: unknown, path: string): string {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB') return 'is not a seqpulse store (not a SQLite database)';
  if (code.startsWith('SQLITE_CORRUPT')) return DAMAGED;
  if (!readable(path)) return 'cannot be read: this user may not read the file';
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM') return `cannot be read (${code}: its -wal or -shm file may not be readable)`;
  return `cannot be read (${message(err)})`;
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function readError(path: string, err: unknown, reason: string): StoreError {
  const hint = reason.startsWith('is not a seqpulse store')
    ? 'Check --store: it names the file runs were kept in (default .seqpulse/seqpulse.db).'
    : reason === DAMAGED
      ? DAMAGED_HINT
      : 'A command that only reads needs read access to the store file (and, while a run writes it, to its -wal and -shm files beside it); it never writes.';
  return new StoreError(`store ${path} ${reason}`, err, hint);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
