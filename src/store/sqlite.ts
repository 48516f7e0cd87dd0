/**
 * The embedded store: SQLite through better-sqlite3 (WAL, busy timeout), schema migrated on open.
 * Any failure to open or to write becomes a StoreError naming the path, never a driver stack trace.
 */
import { existsSync, statSync } from 'node:fs';
import BetterSqlite3 from './sqlite-driver.js';
import { Kysely, SqliteDialect } from 'kysely';
import { formatDuration } from '../config/duration.js';
import { StoreError } from '../errors.js';
import { checkStoreFiles, createStoreDirectory, DAMAGED, DAMAGED_HINT } from './directory.js';
import { kyselyStore } from './kysely-store.js';
import { migrate, migrationRefusal } from './migrations.js';
import type { Database } from './schema.js';
import type { Store } from './types.js';
import { steadyNow } from '../sampling/clock.js';

/** How long a writer waits for another process's lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5_000;
/** Pauses between attempts while another process holds the lock: doubling from the first, up to the last. */
const BUSY_RETRY_MS = [5, 100] as const;
const CACHE_KIB = 4096;

export async function openSqliteStore(path: string): Promise<Store> {
  let sqlite: BetterSqlite3.Database | undefined;
  if (!existsSync(path)) createStoreDirectory(path);
  checkStoreFiles(path);
  try {
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
  // From here on a lock is waited for asynchronously (see guarded). better-sqlite3 waits out a busy
  // timeout synchronously: a second's wait for another writer froze every request in flight and
  // every tick due in the meantime, which then all failed as "deadline passed" (samples lost).
  sqlite.pragma('busy_timeout = 0');
  return guarded(kyselyStore(db), path, fileIdentity(path));
}

/** Which file a path names now (device and inode, the symlink followed); undefined when nothing is there. */
function fileIdentity(path: string): string | undefined {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

const HINT = 'Check --store (default .seqpulse/seqpulse.db): it must be a writable SQLite file in a writable directory.';

function openError(path: string, err: unknown): StoreError {
  const refused = migrationRefusal(path, err);
  if (refused) return refused;
  const code = (err as { code?: string }).code ?? '';
  const reason =
    code === 'SQLITE_NOTADB'
      ? 'is not a seqpulse store (not a SQLite database)'
      : code === 'EACCES' || code === 'EROFS' || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY')
        ? 'cannot be opened for writing'
        : code === 'ENOTDIR' || code === 'EEXIST'
          ? 'is under a path that is not a directory'
          : (driverReason(code) ?? `cannot be opened (${err instanceof Error ? err.message : String(err)})`);
  return new StoreError(`store ${path} ${reason}`, err, hintFor(code));
}

/**
 * Every operation of the store, retried while another process holds the write lock (every write
 * is idempotent, and a failed one was rolled back), for up to BUSY_TIMEOUT_MS, waiting without
 * blocking the event loop. The driver's failures (still locked after that, a full disk, a file
 * made read-only) become StoreErrors naming the path and the cause; anything else (a bug) passes
 * through unchanged.
 */
function guarded(store: Store, path: string, opened: string | undefined): Store {
  const wrapped: Record<string, unknown> = {};
  for (const [name, operation] of Object.entries(store) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    wrapped[name] = async (...args: unknown[]) => {
      if (name !== 'close') stillThere(path, opened);
      const deadline = steadyNow() + BUSY_TIMEOUT_MS;
      for (let pause: number = BUSY_RETRY_MS[0]; ; pause = Math.min(pause * 2, BUSY_RETRY_MS[1])) {
        try {
          return await operation(...args);
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          if (!(err instanceof BetterSqlite3.SqliteError) || typeof code !== 'string') throw err;
          const wait = Math.min(pause, deadline - steadyNow());
          if (isBusy(code) && wait > 0) {
            await new Promise((resolve) => setTimeout(resolve, wait));
            continue;
          }
          throw new StoreError(`store ${path} ${driverReason(code) ?? `failed (${err.message})`}`, err, hintFor(code));
        }
      }
    };
  }
  return wrapped as unknown as Store;
}

/**
 * The file this store was opened on is still the one at its path. Deleted or replaced meanwhile (a
 * cleanup, a CI cache restored over it, another tool's `mv`), SQLite goes on writing to the file it
 * has open, which nobody will ever read again: a run finished with its verdict printed, exit 0, and
 * the run, its samples and its verdict were gone. Now the next operation fails instead, saying so
 * (exit 3 once the deploy went ahead, as for a full disk).
 */
function stillThere(path: string, opened: string | undefined): void {
  const now = fileIdentity(path);
  if (opened === undefined || now === opened) return;
  throw new StoreError(
    `store ${path} was ${now === undefined ? 'deleted' : 'replaced by another file'} after this command opened it: what it writes would be lost`,
    undefined,
    'Something removed or replaced the store file while seqpulse was using it (a cleanup step, a cache restored over it, another tool): give each run a store nothing else touches while it runs (--store).',
  );
}

function isBusy(code: string): boolean {
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

function driverReason(code: string): string | undefined {
  if (isBusy(code)) return `is locked by another process (still busy after ${formatDuration(BUSY_TIMEOUT_MS)})`;
  if (code === 'SQLITE_FULL') return 'cannot be written: the disk is full';
  if (code.startsWith('SQLITE_READONLY')) return 'cannot be written: it is read-only';
  if (code.startsWith('SQLITE_IOERR')) return `cannot be written: disk I/O error (${code}; the disk or the file size limit may be full)`;
  if (code.startsWith('SQLITE_CORRUPT')) return DAMAGED;
  return undefined;
}

function hintFor(code: string): string {
  if (isBusy(code)) {
    return 'Another process holds a write transaction on it (another seqpulse, a sync, an open sqlite3 shell): let it finish, or give this run its own --store.';
  }
  // The same store may be --store or a sync target (--to, --sync): the hint names the path's disk, not a flag.
  if (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR')) return 'Free some disk space where that file is, or give another location (--store, or --to / --sync for a sync target); what was stored before is kept.';
  if (code.startsWith('SQLITE_CORRUPT')) return DAMAGED_HINT;
  return HINT;
}
