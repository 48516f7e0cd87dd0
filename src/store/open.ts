/**
 * Picks the store for a `--store` value: `postgres://...` for the shared Postgres store, anything
 * else is a SQLite path. Drivers are imported only when used: the SQLite one is a native addon the
 * GitHub Action must never load.
 */
import { resolve } from 'node:path';
import { isPostgresUrl } from './location.js';
import type { Store } from './types.js';

export { isPostgresUrl };

export async function openStore(location: string, cwd: string = process.cwd()): Promise<Store> {
  if (isPostgresUrl(location)) {
    const { openPostgresStore } = await import('./postgres.js');
    return openPostgresStore(location);
  }
  const path = location.startsWith('file:') ? location.slice('file:'.length) : location;
  const { openSqliteStore } = await import('./sqlite.js');
  return openSqliteStore(resolve(cwd, path));
}
