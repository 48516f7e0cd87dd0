/**
 * Shared-store faults: a wrong password, a Postgres that goes away between syncs, and one killed in
 * the middle of a sync; each time the local store is untouched and the next sync completes.
 */
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { runCli, startCli, tempDir } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startPostgres } from '../helpers/postgres-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { run, sample, storeWithFinishedRuns, verdict } from '../helpers/records.js';

async function localStoreWithRuns(n: number): Promise<string> {
  const path = join(tempDir(), 'local.db');
  const store = await openStore(path);
  for (let i = 0; i < n; i++) {
    const r = run({ status: 'finished' });
    await store.createRun(r);
    await store.addSamples([sample(r.id, 0, { a: i }), sample(r.id, 1, { a: i })]);
    await store.saveVerdict(verdict(r.id));
  }
  await store.close();
  return path;
}

async function localCounts(path: string) {
  const store = await openStore(path);
  try {
    const runs = await store.listRuns({ limit: 100_000 });
    const state = await store.syncState(runs.map((r) => r.id));
    return { runs: runs.length, samples: [...state.values()].reduce((n, st) => n + st.samples, 0), verdicts: [...state.values()].filter((st) => st.verdict).length };
  } finally {
    await store.close();
  }
}

describe('sync faults', () => {
  it('a wrong password is a clear error (exit 2), with the password masked; nothing local is touched', async () => {
    const good = new URL(await createTestDatabase());
    good.password = 'not-the-password-81';
    const local = await localStoreWithRuns(2);
    const r = await runCli(['sync', '--store', local, '--to', good.toString()], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot be used \(password authentication failed/);
    expect(r.stderr).not.toContain('not-the-password-81');
    const store = await openStore(local);
    expect(await store.listRuns({})).toHaveLength(2);
    await store.close();
  });

  it('Postgres down during a sync: clear error, nothing lost locally; after a restart the next sync completes', async () => {
    const pgServer = await startPostgres({ prefix: 'seqpulse-pg-restart-' });
    const { url } = pgServer;
    try {
      const local = await localStoreWithRuns(3);
      expect((await runCli(['sync', '--store', local, '--to', url, '--json'], { cwd: tempDir() })).code).toBe(0);
      const more = await openStore(local);
      const late = run({ status: 'finished' });
      await more.createRun(late);
      await more.addSamples([sample(late.id, 0, { a: 9 })]);
      await more.close();

      await pgServer.stop();
      const down = await runCli(['sync', '--store', local, '--to', url], { cwd: tempDir() });
      expect(down.code).toBe(2);
      expect(down.stderr).toMatch(/cannot be used/);

      await pgServer.start();
      const back = await runCli(['sync', '--store', local, '--to', url, '--json'], { cwd: tempDir() });
      expect(back.code).toBe(0);
      expect(JSON.parse(back.stdout)).toMatchObject({ pushed: { runs: 1, samples: 1, verdicts: 0 }, up_to_date: 3 });
    } finally {
      await pgServer.close();
    }
  }, 60_000);

  it('Postgres killed in the middle of a sync: clear error (exit 2), nothing lost locally; after a restart the next sync completes with no duplicate', async () => {
    const RUNS = 600; // three pages of runs
    const path = join(tempDir(), 'local.db');
    await storeWithFinishedRuns(path, RUNS);
    const before = await localCounts(path);
    expect(before).toEqual({ runs: RUNS, samples: RUNS * 3, verdicts: RUNS });

    const pgServer = await startPostgres({ prefix: 'seqpulse-pg-crash-' });
    const { url } = pgServer;
    try {
      // Schema first, then hold the samples table: the sync writes each page's runs with their verdicts
      // (one transaction), then waits on its first sample insert, half-way, where the test can see it
      // and crash the server.
      await (await openStore(url)).close();
      const holder = new pg.Client({ connectionString: url });
      holder.on('error', () => undefined);
      await holder.connect();
      await holder.query('begin');
      await holder.query('lock table samples in exclusive mode');
      // Watched from another connection: inside the holder's transaction the activity view would not change.
      const watcher = new pg.Client({ connectionString: url });
      watcher.on('error', () => undefined);
      await watcher.connect();
      const sync = startCli(['sync', '--store', path, '--to', url], { cwd: tempDir() });
      const halfWay = await waitFor(async () => {
        const { rows } = await watcher.query<{ waiting: number; runs: number; samples: number; verdicts: number }>(
          `select (select count(*)::int from pg_stat_activity where wait_event_type = 'Lock') as waiting,
                  (select count(*)::int from runs) as runs, (select count(*)::int from samples) as samples, (select count(*)::int from verdicts) as verdicts`,
        );
        return rows[0]!.waiting > 0 && rows[0];
      }, 'the sync to wait on the samples table');
      expect(halfWay.runs).toBeGreaterThan(0);
      expect(halfWay.runs).toBeLessThan(RUNS);
      // Every run pushed so far came with its verdict.
      expect(halfWay.verdicts).toBe(halfWay.runs);
      expect(halfWay.samples).toBe(0);
      await pgServer.crash();
      await Promise.all([holder.end().catch(() => undefined), watcher.end().catch(() => undefined)]);

      const cut = await sync.done;
      expect(cut.code).toBe(2);
      expect(cut.stderr).toMatch(/sync to postgres:\/\/\*+@127\.0\.0\.1:\d+\/postgres stopped half-way/);
      expect(cut.stderr).toMatch(/run `seqpulse sync` again/);
      expect(cut.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(await localCounts(path)).toEqual(before);

      await pgServer.start();
      const again = await runCli(['sync', '--store', path, '--to', url, '--json'], { cwd: tempDir() });
      expect(again.code).toBe(0);
      // Some writes may have landed while the server went down (its backends stop one by one); the
      // rest are pushed now, and the totals below show that nothing is missing and nothing doubled.
      expect(JSON.parse(again.stdout).pushed.samples).toBeGreaterThan(0);
      const pool = new pg.Client({ connectionString: url });
      await pool.connect();
      const { rows } = await pool.query<{ runs: number; samples: number; verdicts: number; ticks: number }>(
        `select (select count(*)::int from runs) as runs, (select count(*)::int from samples) as samples, (select count(*)::int from verdicts) as verdicts,
                (select count(*)::int from (select distinct run_id, phase, seq, endpoint from samples) t) as ticks`,
      );
      await pool.end();
      expect(rows[0]).toEqual({ runs: RUNS, samples: RUNS * 3, verdicts: RUNS, ticks: RUNS * 3 });
    } finally {
      await pgServer.close();
    }
  }, 90_000);
});
