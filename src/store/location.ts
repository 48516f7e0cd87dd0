/** What a store location names: a Postgres server (`postgres://...`) or a SQLite file. */
import { statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { redactUrl } from '../redact.js';
import { didYouMean } from '../suggest.js';

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * A scheme of two characters or more and a slash: a URL, never a file a user means (`C:/` is a
 * drive). Taken as a path, `postgress://user:pw@host/db` made directories named after the password.
 */
const URL_LIKE = /^([a-z][a-z0-9+.-]+):\//i;

/** Names other tools give Postgres URLs, too far from `postgres` for a spelling suggestion. */
const POSTGRES_SHORT = ['pg', 'psql', 'pgsql'];

/**
 * Why `location` names no store seqpulse can open, or undefined when it does. Never quotes the
 * value: a mistyped URL still holds its password.
 */
export function storeLocationIssue(location: string): string | undefined {
  if (/^file:\/\//i.test(location)) return fileUrlPath(location) === undefined ? 'is a file:// URL naming another host: a SQLite store is a file on this machine (file:///path/to/seqpulse.db, or a plain path)' : undefined;
  return schemeIssue(location, 'a store seqpulse supports', ['file']);
}

/**
 * The same for the sql source's database (sql_url): a postgres:// URL or a SQLite path, which may
 * be written `sqlite:` or `file:` too (sources/sql-sqlite.ts). Taken as a path, a mistyped
 * `postgress://` URL failed every sample, after the deploy, as a missing file.
 */
export function sqlUrlIssue(location: string): string | undefined {
  return schemeIssue(location, 'a database the sql source reads', ['sqlite', 'file']);
}

/** A URL whose scheme is neither Postgres's nor one of `paths` (prefixes a SQLite path may have): why it names nothing seqpulse opens. */
function schemeIssue(location: string, what: string, paths: readonly string[]): string | undefined {
  // A port past 65535, an unclosed [ or a stray space: the Postgres client said only "Invalid URL",
  // after a hint to check the server was reachable.
  if (isPostgresUrl(location)) return URL.canParse(location) ? undefined : 'is not a valid postgres:// URL: check the host, the port (1 to 65535), and that special characters in the user or password are percent-encoded (%40 for @)';
  // `postgres:user:pw@host/db` or `postgres:/host/db`: a Postgres URL missing a slash, never a file
  // (taken as a path, it made a directory named after the password, and printed it).
  const [, named, slashes] = /^([a-z][a-z0-9+.-]*):(\/\/)?/i.exec(location) ?? [];
  if (named !== undefined && slashes === undefined && ['postgres', 'postgresql', ...POSTGRES_SHORT].includes(named.toLowerCase())) {
    return `starts with ${named.toLowerCase()}: but is not a postgres:// URL: a Postgres URL has two slashes after its scheme (postgres://, then the user, password, host and database)`;
  }
  const scheme = URL_LIKE.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined || paths.includes(scheme)) return undefined;
  const meant = POSTGRES_SHORT.includes(scheme) ? ' (did you mean postgres://?)' : didYouMean(scheme, ['postgres', 'postgresql', ...paths], (s) => `${s}://`);
  const sqlite = paths.filter((p) => p !== 'file').map((p) => `${p}:path, `).join('');
  return `names a ${scheme}:// URL, which is not ${what}: give a SQLite path (or ${sqlite}file:///path) or a postgres:// (postgresql://) URL${meant}`;
}

/**
 * The SQLite file a location names (`file:` path or `file:///` URL), resolved against `cwd`;
 * undefined for Postgres. A URL of another scheme is refused here too, for any door that did not
 * check it first: it must never become a path.
 */
export function sqlitePath(location: string, cwd: string = process.cwd()): string | undefined {
  if (isPostgresUrl(location)) return undefined;
  const issue = storeLocationIssue(location);
  if (issue !== undefined) throw new UsageError(`the store location ${issue}`, 'Check --store, --sync, sync --to, SEQPULSE_STORE, SEQPULSE_SYNC and store:/sync: in seqpulse.yml.');
  if (/^file:\/\//i.test(location)) return fileUrlPath(location)!;
  return resolve(cwd, location.startsWith('file:') ? location.slice('file:'.length) : location);
}

function fileUrlPath(url: string): string | undefined {
  try {
    return fileURLToPath(url);
  } catch {
    return undefined;
  }
}

/** A location as messages show it: the SQLite file's full path, or the URL with its password masked. */
export function shownLocation(location: string, cwd?: string): string {
  return sqlitePath(location, cwd) ?? redactUrl(location);
}

/**
 * False only for a SQLite file that is not there, or holds nothing at all: a store whose creation was
 * cut off before its first page (a full disk) is an empty file, and SQLite reads an empty file as an
 * empty database; a command that only reads finds no run in it, as where there is no file (it had
 * said "not a seqpulse store"). A Postgres store is the server's to have.
 */
export function storeExists(location: string, cwd?: string): boolean {
  const path = sqlitePath(location, cwd);
  if (path === undefined) return true;
  const file = statOf(path);
  if (file === undefined) return false;
  return !(file.isFile() && file.size === 0 && !((statOf(`${path}-wal`)?.size ?? 0) > 0));
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
