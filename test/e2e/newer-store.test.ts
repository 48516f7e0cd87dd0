/**
 * A store a newer seqpulse migrated (its migrations table names one this version lacks) is said to
 * be one, with the migration, exit 2, and left as it is: Kysely's migrator called it "corrupted"
 * and the hint talked of writable files. SQLite (the CLI's and the Action's) and Postgres.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { MIGRATION_NAMES } from '../../src/store/migrations.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { openSqlJsStore } from '../../src/store/sqljs.js';
import { version } from '../../src/version.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/postgres.js';

const FUTURE = "insert into seqpulse_migrations values ('0003_future_thing', '2027-01-01T00:00:00Z')";
const SAID = `was written by a newer seqpulse: it has migration 0003_future_thing, which seqpulse ${version()} does not know`;

async function newerSqliteStore(): Promise<{ cwd: string; path: string }> {
  const cwd = tempDir();
  const path = join(cwd, 'runs.db');
  await (await openSqliteStore(path)).close();
  const raw = new BetterSqlite3(path);
  raw.exec(FUTURE);
  raw.close();
  return { cwd, path };
}

function expectNewer(r: { code: number | null; stderr: string }, where: string): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain(`seqpulse: store ${where} ${SAID}`);
  expect(r.stderr).toContain('Upgrade seqpulse to use this store, or use another store with this version');
  expect(r.stderr).not.toMatch(/corrupted|writable/);
}

describe('a store written by a newer seqpulse', () => {
  it('SQLite: history and run say so, exit 2, nothing deployed, the file byte for byte as it was', async () => {
    const { cwd, path } = await newerSqliteStore();
    const before = readFileSync(path);
    expectNewer(await runCli(['history', '--store', 'runs.db'], { cwd }), path);
    const marker = join(cwd, 'DEPLOYED');
    const run = await runCli(['run', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--secret', 's', '--store', 'runs.db', '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`], { cwd });
    expectNewer(run, path);
    expect(existsSync(marker)).toBe(false);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('SQLite through sql.js (the Action): the same error, and the file is not rewritten', async () => {
    const { path } = await newerSqliteStore();
    const before = readFileSync(path);
    const err = await openSqlJsStore(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toBe(`store ${path} ${SAID}`);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('Postgres: history says so, exit 2, its migrations table unchanged', async () => {
    const url = await createTestDatabase();
    await (await openPostgresStore(url, { timeoutMs: 10_000 })).close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(FUTURE);
      const r = await runCli(['history', '--store', url], { cwd: tempDir() });
      const shown = url.replace(/\/\/[^@]*@/, '//***@');
      expectNewer(r, shown);
      const { rows } = await client.query<{ name: string }>('select name from seqpulse_migrations order by name');
      expect(rows.map((row) => row.name)).toEqual([...MIGRATION_NAMES, '0003_future_thing']);
    } finally {
      await client.end();
    }
  });
});
