/** What a store location names: a Postgres server (`postgres://...`) or a SQLite file. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { redactUserinfo } from '../redact.js';

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The SQLite file a location names (`file:` prefix allowed), resolved against `cwd`; undefined for Postgres. */
export function sqlitePath(location: string, cwd: string = process.cwd()): string | undefined {
  if (isPostgresUrl(location)) return undefined;
  return resolve(cwd, location.startsWith('file:') ? location.slice('file:'.length) : location);
}

/** A location as messages show it: the SQLite file's full path, or the URL with its password masked. */
export function shownLocation(location: string, cwd?: string): string {
  return sqlitePath(location, cwd) ?? redactUserinfo(location);
}

/** False only for a SQLite file that is not there: a Postgres store is the server's to have. */
export function storeExists(location: string, cwd?: string): boolean {
  const path = sqlitePath(location, cwd);
  return path === undefined || existsSync(path);
}
