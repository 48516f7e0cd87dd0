/**
 * The Action's stores: the team's Postgres for a `postgres://` URL; anything else is a SQLite file
 * kept by SQLite in WebAssembly. The native SQLite driver the CLI uses is compiled for one Node ABI
 * and platform, and a runner may be any (Node 24 on Linux, macOS, Windows), so the Action never loads it.
 */
import { sqlitePath } from '../store/location.js';
import { openPostgresStore } from '../store/postgres.js';
import { openSqlJsStore } from '../store/sqljs.js';
import type { Store } from '../store/types.js';

/** `timeoutMs`: the deadline of one operation on a Postgres store (store_timeout). */
export async function openActionStore(location: string, timeoutMs: number): Promise<Store> {
  const path = sqlitePath(location);
  if (path === undefined) return openPostgresStore(location, { timeoutMs });
  return openSqlJsStore(path);
}
