/** The embedded store on real SQLite files. */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { MIGRATION_NAMES } from '../../src/store/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { run, sample } from '../helpers/records.js';

const dbPath = () => join(mkdtempSync(join(tmpdir(), 'seqpulse-store-')), 'nested', 'seqpulse.db');

describe('SQLite store', () => {
  it('creates the file and its directory, migrates once (not again on re-open), and uses WAL', async () => {
    const path = dbPath();
    await (await openSqliteStore(path)).close();
    await (await openSqliteStore(path)).close();
    const raw = new BetterSqlite3(path);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = raw.prepare("select name from sqlite_master where type = 'table' order by name").all() as { name: string }[];
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['runs', 'samples', 'verdicts', 'seqpulse_migrations']));
    expect(raw.prepare('select count(*) as n from seqpulse_migrations').get()).toEqual({ n: MIGRATION_NAMES.length });
    raw.close();
  });

  it('a write waits for another process holding the lock (busy timeout) instead of failing', async () => {
    const path = dbPath();
    const store = await openSqliteStore(path);
    const r = run();
    await store.createRun(r);
    // Another process takes the write lock and keeps it for a moment, as a second seqpulse would.
    const holder = spawn(process.execPath, ['-e', `
      const db = require('better-sqlite3')(${JSON.stringify(path)});
      db.exec('BEGIN IMMEDIATE');
      db.prepare("update runs set status = 'observing'").run();
      process.stdout.write('locked\\n');
      setTimeout(() => { db.exec('COMMIT'); db.close(); }, 300);
    `], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    await store.addSamples([sample(r.id, 0, { n: 1 })]);
    expect(await store.getSamples(r.id)).toHaveLength(1);
    expect((await store.getRun(r.id))?.status).toBe('observing');
    await store.close();
  });

  it('a path under a regular file -> StoreError naming the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seqpulse-store-'));
    writeFileSync(join(dir, 'file'), 'x');
    const path = join(dir, 'file', 'seqpulse.db');
    const err = await openSqliteStore(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toContain(path);
    expect((err as StoreError).exitCode).toBe(2);
  });

  it('a file that is not a SQLite database -> StoreError', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seqpulse-store-'));
    const path = join(dir, 'not-a-db');
    writeFileSync(path, 'hello, this is not sqlite '.repeat(100));
    const err = await openSqliteStore(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(/not a SQLite database/);
  });
});
