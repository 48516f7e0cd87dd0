/**
 * Picks the store for a `--store` value: `postgres://...` for the shared Postgres store, anything
 * else is a SQLite path. Drivers are imported only when used: the SQLite one is a native addon the
 * GitHub Action must never load.
 */
import { DEFAULTS } from '../config/schema.js';
import { isPostgresUrl, sqlitePath } from './location.js';
import type { Store } from './types.js';

export { isPostgresUrl };

export interface OpenOptions {
  /** Deadline of one operation on a Postgres store (store_timeout); a SQLite file has its own busy timeout. */
  timeoutMs?: number;
  cwd?: string;
  /**
   * For a command that only reads: a SQLite store is opened read-only, not migrated, and left as
   * it was (sqlite-reader.ts). A Postgres store is the same either way.
   */
  readOnly?: boolean;
}

export async function openStore(location: string, opts: OpenOptions = {}): Promise<Store> {
  const path = sqlitePath(location, opts.cwd);
  if (path === undefined) {
    const { openPostgresStore } = await import('./postgres.js');
    return openPostgresStore(location, { timeoutMs: opts.timeoutMs ?? DEFAULTS.store_timeout });
  }
  if (opts.readOnly) {
    const { openSqliteReader } = await import('./sqlite-reader.js');
    return openSqliteReader(path);
  }
  const { openSqliteStore } = await import('./sqlite.js');
  return openSqliteStore(path);
}
