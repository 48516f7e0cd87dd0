/**
 * SQLite compiled to WebAssembly (sql.js) behind the same kysely store: same schema, migrations and
 * queries as the embedded store, and no native addon, so the GitHub Action can keep a store on any
 * runner (Linux, macOS, Windows; whatever Node ABI). The database lives in memory and is written to
 * its file when the store is closed (every command closes its store, on signals too): replaced whole
 * (write, then rename), so a reader never sees half a file. Writing it on every commit would copy
 * the whole database once a tick.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Database as SqlJsDatabase, default as InitSqlJs, SqlValue } from 'sql.js';
import { StoreError } from '../errors.js';
import { checkStoreFiles, createStoreDirectory, storeDirectory } from './directory.js';
import { kyselyStore } from './kysely-store.js';
import { migrate, migrationRefusal } from './migrations.js';
import type { Database } from './schema.js';
import type { Store } from './types.js';

/** `path` null: memory only. */
export async function openSqlJsStore(path: string | null): Promise<Store> {
  let sqlite: SqlJsDatabase;
  // The file is written when the store closes, after the deploy: a path it cannot go to is refused now, before it.
  if (path && !existsSync(path)) storeDirectory(path);
  if (path) checkStoreFiles(path);
  try {
    const SQL = await (await loadSqlJs())();
    sqlite = path && existsSync(path) ? new SQL.Database(readFileSync(path)) : new SQL.Database();
    sqlite.run('PRAGMA foreign_keys = ON');
  } catch (err) {
    throw new StoreError(`store ${path ?? '(memory)'} cannot be opened (${err instanceof Error ? err.message : String(err)})`, err, 'It must be a SQLite file written by seqpulse, in a writable directory.');
  }
  // Off when the store turns out unusable: a store that failed to migrate (a newer one) is left as it was.
  let saving = true;
  const save = () => {
    if (!path || !saving) return;
    const next = `${path}.${process.pid}.tmp`;
    if (!existsSync(path)) createStoreDirectory(path);
    try {
      writeFileSync(next, sqlite.export());
      renameSync(next, path);
    } catch (err) {
      try {
        rmSync(next, { force: true });
      } catch {
        // Nothing was left behind, or nothing can be removed there either.
      }
      throw new StoreError(`store ${path} could not be written (${(err as NodeJS.ErrnoException).code ?? String(err)}); the file is as it was before this command`, err, 'Check that its directory is writable and the disk is not full.');
    }
  };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: adapter(sqlite, save) }) });
  try {
    await migrate(db);
  } catch (err) {
    saving = false;
    await db.destroy();
    throw migrationRefusal(path ?? '(memory)', err) ?? new StoreError(`store ${path ?? '(memory)'} cannot be used (${err instanceof Error ? err.message : String(err)})`, err);
  }
  return kyselyStore(db);
}

/**
 * sql.js as published, or, in the Action's bundle, the copy shipped next to it (dist/sql-wasm.cjs,
 * the build with the engine inlined). Bundlers cannot take sql.js in: it clears `module` before its
 * emscripten code tests `typeof module`, a test webpack rewrites to a constant. Both module names
 * go through variables so a bundler leaves them to run time.
 */
async function loadSqlJs(): Promise<typeof InitSqlJs> {
  const beside = join(dirname(fileURLToPath(import.meta.url)), 'sql-wasm.cjs');
  if (existsSync(beside)) return createRequire(import.meta.url)(beside) as typeof InitSqlJs;
  // required, not imported: a bundler turns import() of a name it cannot see into a lookup of its own, which fails.
  const name = 'sql.js';
  return createRequire(import.meta.url)(name) as typeof InitSqlJs;
}

/** The better-sqlite3 shape kysely's SqliteDialect drives, over sql.js. */
function adapter(engine: SqlJsDatabase, save: () => void): SqliteDatabase {
  return {
    close() {
      save();
      engine.close();
    },
    prepare(sql: string): SqliteStatement {
      const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? '';
      const reader = verb === 'select' || verb === 'with' || verb === 'pragma' || /\breturning\b/i.test(sql);
      const rows = (parameters: ReadonlyArray<unknown>) => {
        const stmt = engine.prepare(sql);
        try {
          stmt.bind(parameters.map(bindable));
          const out: Record<string, SqlValue>[] = [];
          while (stmt.step()) out.push(stmt.getAsObject());
          return out;
        } finally {
          stmt.free();
        }
      };
      return {
        reader,
        all: rows,
        iterate: (parameters) => rows(parameters)[Symbol.iterator](),
        run(parameters) {
          rows(parameters);
          return { changes: engine.getRowsModified(), lastInsertRowid: 0 };
        },
      };
    },
  };
}

function bindable(value: unknown): SqlValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' || typeof value === 'string' || value instanceof Uint8Array) return value;
  return JSON.stringify(value);
}
