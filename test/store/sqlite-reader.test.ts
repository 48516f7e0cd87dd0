/**
 * The embedded store opened by commands that only read (history, show, verdict, report, analyze):
 * real SQLite files, a real second writer. Root ignores permissions, so what is checked here holds
 * for any user: nothing is created beside the store and the file is left byte for byte as it was
 * (e2e/read-only.test.ts runs the CLI on a store nobody may write to).
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { checkReadable, migrate, MIGRATION_NAMES } from '../../src/store/migrations.js';
import type { Database } from '../../src/store/schema.js';
import { openSqliteReader } from '../../src/store/sqlite-reader.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { run, sample } from '../helpers/records.js';

const dbPath = () => join(mkdtempSync(join(tmpdir(), 'seqpulse-reader-')), 'runs.db');
const files = (path: string) => readdirSync(dirname(path)).sort();

function snapshot(path: string) {
  return { bytes: readFileSync(path), mtimeNs: statSync(path, { bigint: true }).mtimeNs, files: files(path) };
}

async function storeWith(path: string, count: number): Promise<string[]> {
  const store = await openSqliteStore(path);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = run();
    await store.createRun(r);
    await store.addSamples([sample(r.id, 0, { error_rate: 0.01 })]);
    ids.push(r.id);
  }
  await store.close();
  return ids;
}

describe('the SQLite store for reading', () => {
  it('reads runs and samples, creates no -wal or -shm file, leaves the file as it was, and refuses a write', async () => {
    const path = dbPath();
    const [id] = await storeWith(path, 1);
    const before = snapshot(path);
    expect(before.files).toEqual([basename(path)]);
    const reader = await openSqliteReader(path);
    expect((await reader.listRuns({})).map((r) => r.id)).toEqual([id]);
    expect(await reader.getSamples(id!)).toHaveLength(1);
    const write = await reader.createRun(run()).catch((e: unknown) => e);
    expect(write).toBeInstanceOf(StoreError);
    await reader.close();
    expect(snapshot(path)).toEqual(before);
  });

  it('sees what a writer committed and checkpointed into the file after it was opened (not a stale cache)', async () => {
    const path = dbPath();
    await storeWith(path, 1);
    const reader = await openSqliteReader(path);
    expect(await reader.listRuns({})).toHaveLength(1);
    await storeWith(path, 2);
    expect(await reader.listRuns({})).toHaveLength(3);
    await reader.close();
    expect(files(path)).toEqual([basename(path)]);
  });

  it('while a writer has the store open, reads its committed rows through its -wal, and creates nothing more', async () => {
    const path = dbPath();
    await storeWith(path, 1);
    const writer = await openSqliteStore(path);
    await writer.createRun(run());
    const during = files(path);
    expect(during).toContain(`${basename(path)}-wal`);
    const reader = await openSqliteReader(path);
    expect(await reader.listRuns({})).toHaveLength(2);
    await reader.close();
    expect(files(path)).toEqual(during);
    await writer.close();
  });

  it('reads a store of the first schema as it is (the later migration changes nothing a query reads), without upgrading it', async () => {
    const path = dbPath();
    const old = new Kysely<Database>({ dialect: new SqliteDialect({ database: new BetterSqlite3(path) }) });
    await migrate(old, MIGRATION_NAMES[0]);
    await old.destroy();
    const before = snapshot(path);
    const reader = await openSqliteReader(path);
    expect(await reader.listRuns({})).toEqual([]);
    await reader.close();
    expect(snapshot(path)).toEqual(before);
  });

  it('a SQLite file without seqpulse tables, a newer store and an older one it cannot read: StoreErrors saying which', async () => {
    const path = dbPath();
    new BetterSqlite3(path).exec('create table other (x)');
    const foreign = await openSqliteReader(path).catch((e: unknown) => e);
    expect(foreign).toBeInstanceOf(StoreError);
    expect((foreign as StoreError).message).toBe(`store ${path} is not a seqpulse store (a SQLite database without seqpulse's tables)`);
    expect(files(path)).toEqual([basename(path)]);
    const text = join(dirname(path), 'notes.db');
    writeFileSync(text, 'not a database, '.repeat(64));
    const notDb = await openSqliteReader(text).catch((e: unknown) => e);
    expect((notDb as StoreError).message).toBe(`store ${text} is not a seqpulse store (not a SQLite database)`);
    expect((notDb as StoreError).hint).toMatch(/^Check --store/);

    expect(() => checkReadable([...MIGRATION_NAMES, '0009_x'], 'db')).toThrow(/^store db was written by a newer seqpulse: it has migration 0009_x/);
    expect(() => checkReadable([], 'db')).toThrow(`store db was written by an older seqpulse and must be upgraded (${MIGRATION_NAMES[0]}) before a command that only reads can read it`);
    expect(() => checkReadable(MIGRATION_NAMES, 'db')).not.toThrow();
  });
});
