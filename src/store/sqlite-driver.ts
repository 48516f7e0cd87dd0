/**
 * better-sqlite3 with SQLite's URI file names on, so a reader can open a store `immutable`
 * (sqlite-reader.ts). The driver reads SQLITE_USE_URI once, when its addon loads: it is set for
 * that moment only, so no child process (a deploy command) inherits it. Store paths are absolute,
 * never `file:` names, so the writers are unaffected.
 */
import BetterSqlite3 from 'better-sqlite3';

const before = process.env.SQLITE_USE_URI;
process.env.SQLITE_USE_URI = '1';
try {
  new BetterSqlite3(':memory:').close();
} finally {
  if (before === undefined) delete process.env.SQLITE_USE_URI;
  else process.env.SQLITE_USE_URI = before;
}

export default BetterSqlite3;
