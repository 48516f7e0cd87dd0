/**
 * Picks the store for a `--store` value. The SQLite driver is a native addon, so it is imported only
 * when a SQLite store is actually opened (the GitHub Action must never load it).
 */
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { Store } from './types.js';

export async function openStore(location: string, cwd: string = process.cwd()): Promise<Store> {
  if (/^postgres(ql)?:\/\//i.test(location)) {
    throw new UsageError('a Postgres store is not supported by this version', 'Use a SQLite path for --store (the default is .seqpulse/seqpulse.db).');
  }
  const path = location.startsWith('file:') ? location.slice('file:'.length) : location;
  const { openSqliteStore } = await import('./sqlite.js');
  return openSqliteStore(resolve(cwd, path));
}
