/**
 * A Postgres that stops answering while seqpulse is connected to it (SIGSTOP to the postmaster and
 * every backend: the sockets stay open and the kernel still accepts and ACKs, as with a stalled
 * host or a partition), in each role a shared Postgres plays: the `--sync` target, the store itself
 * (`--store postgres://`), and the target of `seqpulse sync`. Each time: a bounded exit, the
 * documented exit code, the local store in a known state, and after the server resumes, a
 * `seqpulse sync` that completes the shared store exactly. Last, the other way round: a seqpulse
 * that stops (SIGSTOP) mid-transaction holds nothing on the server for long.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { closeAfterEach, fastFlags, runCli, startCli, tempDir } from '../helpers/cli.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.js';
import { storeWithFinishedRuns } from '../helpers/records.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';
import { waitFor } from '../helpers/wait-for.js';

const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
const node = process.execPath;
const track = closeAfterEach();
/** What an exit may take beyond the deadlines that bound it, on a loaded machine (process start-up, closing). */
const SLACK_MS = 5000;
/** POST ticks of fastFlags' 1 s window at 100 ms. */
const POST_TICKS = 10;

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres({ prefix: 'seqpulse-pg-frozen-' });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

let databases = 0;
/** A fresh database on the private server, with the store's schema. */
async function freshDatabase(): Promise<string> {
  const name = `frozen_${process.pid}_${++databases}`;
  await admin((c) => c.query(`create database ${name}`));
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  await (await openStore(url.toString())).close();
  return url.toString();
}

async function admin<T>(use: (client: pg.Client) => Promise<T>, url = server.url): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Runs, samples and verdicts of a store, and every sample key once: duplicates would make `ticks` smaller than `samples`. */
async function sharedCounts(url: string) {
  return admin(async (c) => {
    const { rows } = await c.query<{ runs: number; samples: number; verdicts: number; ticks: number }>(
      `select (select count(*)::int from runs) as runs, (select count(*)::int from samples) as samples, (select count(*)::int from verdicts) as verdicts,
              (select count(*)::int from (select distinct run_id, phase, seq, endpoint from samples) t) as ticks`,
    );
    return rows[0]!;
  }, url);
}

/** The local SQLite store's runs as `status verdicts post-samples`, read without touching it. */
function localStates(path: string): string[] {
  if (!existsSync(path)) return [];
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(`select status, (select count(*) from verdicts v where v.run_id = r.id) as verdicts, (select count(*) from samples s where s.run_id = r.id and s.phase = 'post') as post from runs r`)
      .all() as { status: string; verdicts: number; post: number }[];
    return rows.map((r) => `${r.status} ${r.verdicts} ${r.post}`);
  } catch {
    return []; // the schema is being created
  } finally {
    db.close();
  }
}

/** Freezes the server, waits for `work` to end, and resumes the server whatever happened; `ms` counts from the freeze. */
async function whileFrozen<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  server.freeze();
  const frozenAt = Date.now();
  try {
    const result = await work();
    return { result, ms: Date.now() - frozenAt };
  } finally {
    server.thaw();
  }
}

/** A fresh shared database and a `run --sync` to it, once its run is announced there (the connection open). */
async function announcedRun(flags: string[]) {
  const url = await freshDatabase();
  const app = track(await startTestApp({ secret: TEST_SECRET }));
  const cwd = tempDir();
  const local = join(cwd, '.seqpulse', 'seqpulse.db');
  const cli = startCli(['run', ...fastFlags(app.url), '--sync', url, ...flags, '--json', '--', node, '-e', ''], { cwd, env });
  await waitFor(async () => (await sharedCounts(url)).runs === 1, 'the run to be announced in the shared store');
  return { url, cwd, local, cli };
}

/** A status that comes with a verdict, seen without one: what the issue found left behind for good. */
const concludedWithoutVerdict = (state: string) => /^(finished|interrupted|deploy_failed) 0 /.test(state);

describe('a frozen Postgres as the --sync target', () => {
  it('the run ends with its verdict and exit code within the window plus sync_timeout; the verdict is stored locally first; `seqpulse sync` then completes the shared store exactly', async () => {
    // The run is announced to the shared store once PRE is done: the connection is open, then the server stops answering.
    const { url, cwd, local, cli } = await announcedRun(['--sync-timeout', '2s', '--store-timeout', '20s']);
    const seen = new Set<string>();
    const { result, ms: elapsed } = await whileFrozen(async () => {
      let exited = false;
      void cli.done.then(() => (exited = true));
      // Watched all along: while seqpulse waits on the frozen store, its run must never read finished without a verdict.
      await waitFor(() => {
        for (const state of localStates(local)) seen.add(state);
        return exited;
      }, 'seqpulse to exit', 60_000);
      return cli.done;
    });
    expect(result.code).toBe(0);
    // The window (1 s), then at most sync_timeout (2 s) for the overlap lookup and the push together.
    expect(elapsed).toBeLessThan(1000 + 2000 + SLACK_MS);
    expect([...seen].filter(concludedWithoutVerdict)).toEqual([]);
    // It was seen waiting on the shared store with every POST sample stored: the verdict was not written before that answer.
    expect(seen.has(`observing 0 ${POST_TICKS}`)).toBe(true);
    expect(seen.has(`finished 1 ${POST_TICKS}`)).toBe(true);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ verdict: 'ok', status: 'finished', exit_code: 0 });
    expect(result.stderr).toMatch(/Shared store postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/frozen_\w+ unavailable \(postgres:\/\/\*\*\*@.* did not answer within 2s \(sync_timeout\)\)/);
    expect(result.stderr).toMatch(/Could not sync run [0-9a-f-]+ to postgres:\/\/\*\*\*@.*did not answer within 2s \(sync_timeout\)\. The run is complete locally; push it later with `seqpulse sync`/);
    expect(localStates(local)).toEqual([`finished 1 ${POST_TICKS}`]);

    // Resumed: the shared store holds the announcement only; one sync completes it, a second finds nothing to do.
    expect(await sharedCounts(url)).toMatchObject({ runs: 1, samples: 0, verdicts: 0 });
    const sync = await runCli(['sync', '--to', url, '--json'], { cwd });
    expect(sync.code).toBe(0);
    expect(JSON.parse(sync.stdout)).toMatchObject({ pushed: { runs: 1, samples: 3 + POST_TICKS, verdicts: 1 }, up_to_date: 0 });
    expect(await sharedCounts(url)).toEqual({ runs: 1, samples: 3 + POST_TICKS, verdicts: 1, ticks: 3 + POST_TICKS });
    expect(JSON.parse((await runCli(['verdict', report.deployment_id, '--store', url, '--json'], { cwd })).stdout)).toEqual(report);
    expect(JSON.parse((await runCli(['sync', '--to', url, '--json'], { cwd })).stdout)).toMatchObject({ pushed: { runs: 0, samples: 0, verdicts: 0 }, up_to_date: 1 });
  }, 60_000);

  it('seqpulse killed while it waits on the frozen store: the run is left observing, never finished without its verdict, and the next command marks it abandoned', async () => {
    const { cwd, local, cli } = await announcedRun(['--sync-timeout', '60s']);
    const { result: killed } = await whileFrozen(async () => {
      await waitFor(() => localStates(local).includes(`observing 0 ${POST_TICKS}`), 'every POST sample to be stored');
      cli.child.kill('SIGKILL');
      return cli.done;
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(localStates(local)).toEqual([`observing 0 ${POST_TICKS}`]);
    const history = await runCli(['history', '--json'], { cwd });
    expect(JSON.parse(history.stdout)).toMatchObject([{ status: 'abandoned', verdict: null }]);
    expect(history.stderr).toMatch(/was abandoned: its process \d+ is gone \(killed or crashed\) while observing/);
    const id = JSON.parse(history.stdout)[0].id;
    const verdictOf = await runCli(['verdict', id, '--json'], { cwd });
    expect(verdictOf.code).toBe(3);
    expect(JSON.parse(verdictOf.stdout).error.message).toMatch(/was abandoned: the process observing it died/);
  }, 60_000);
});

describe('a signal while seqpulse waits on the --sync target after the window', () => {
  it('SIGTERM during the overlap lookup on a frozen target: the waiting ends at once; the verdict is made, stored and printed; exit with its code', async () => {
    // A budget of a minute: without the signal, seqpulse would wait for it.
    const { local, cli } = await announcedRun(['--sync-timeout', '60s']);
    const { result, ms } = await whileFrozen(async () => {
      await waitFor(() => localStates(local).includes(`observing 0 ${POST_TICKS}`), 'every POST sample to be stored (the overlap lookup is next)');
      const signalled = Date.now();
      cli.child.kill('SIGTERM');
      const done = await cli.done;
      return { ...done, afterSignal: Date.now() - signalled };
    });
    expect(result.afterSignal).toBeLessThan(SLACK_MS);
    expect(ms).toBeLessThan(60_000);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ verdict: 'ok', status: 'finished', exit_code: 0 });
    expect(result.stderr).toMatch(/Shared store postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/frozen_\w+ unavailable \(interrupted by SIGTERM\)/);
    expect(localStates(local)).toEqual([`finished 1 ${POST_TICKS}`]);
  }, 60_000);

  it('SIGINT during the push (the run\'s row locked in the target): the push is given up at once, the local verdict stands with its exit code; `seqpulse sync` pushes it later', async () => {
    const { url, cwd, local, cli } = await announcedRun(['--sync-timeout', '60s', '--store-timeout', '60s']);
    // Another session holds the announced run's row: the overlap lookup reads past it, the push's upsert waits for it.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select id from runs for update');
      await waitFor(() => localStates(local).includes(`finished 1 ${POST_TICKS}`), 'the verdict to be stored locally (the push is next)', 30_000);
      const signalled = Date.now();
      cli.child.kill('SIGINT');
      const result = await cli.done;
      expect(Date.now() - signalled).toBeLessThan(SLACK_MS);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ verdict: 'ok', status: 'finished', exit_code: 0 });
      expect(result.stderr).toMatch(/Could not sync run [0-9a-f-]+ to postgres:\/\/\*\*\*@.*: interrupted by SIGINT\. The run is complete locally; push it later with `seqpulse sync`/);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    expect(localStates(local)).toEqual([`finished 1 ${POST_TICKS}`]);
    expect(await sharedCounts(url)).toMatchObject({ runs: 1, samples: 0, verdicts: 0 });
    expect((await runCli(['sync', '--to', url], { cwd })).code).toBe(0);
    expect(await sharedCounts(url)).toEqual({ runs: 1, samples: 3 + POST_TICKS, verdicts: 1, ticks: 3 + POST_TICKS });
  }, 60_000);
});

describe('a stalled --sync target after `start`', () => {
  it('SIGINT while `start` pushes its run: the run is interrupted before the deploy (exit 130, stored so), not started with exit 0 for the pipeline to deploy', async () => {
    const url = await freshDatabase();
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    const local = join(cwd, '.seqpulse', 'seqpulse.db');
    // Writes to the shared runs wait on this lock: the run's announcement, then its push behind it.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('lock table runs in exclusive mode');
      const cli = startCli(['start', ...fastFlags(app.url), '--sync', url, '--sync-timeout', '60s', '--json'], { cwd, env });
      await waitFor(() => localStates(local).includes('started 0 0'), 'the run to be stored locally after PRE (the push is next)', 30_000);
      const signalled = Date.now();
      cli.child.kill('SIGINT');
      const result = await cli.done;
      expect(Date.now() - signalled).toBeLessThan(SLACK_MS);
      expect(result.code, result.stderr).toBe(130);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 'interrupted', verdict: null, exit_code: 130 });
      expect(result.stderr).toMatch(/Could not sync run [0-9a-f-]+ to postgres:\/\/\*\*\*@.*: interrupted by SIGINT/);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    expect(localStates(local)).toEqual([expect.stringMatching(/^interrupted /)]);
    // Nothing is left for `finish`: the deploy must not follow.
    expect((await runCli(['finish', JSON.parse((await runCli(['history', '--json'], { cwd })).stdout)[0].deployment_id], { cwd, env })).code).toBe(2);
  }, 60_000);
});

describe('a frozen Postgres as the store (--store postgres://)', () => {
  it('frozen during the POST window: exit 3 within store_timeout, saying the deploy went ahead; the next command marks the run abandoned', async () => {
    const url = await freshDatabase();
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    const cli = startCli(['run', ...fastFlags(app.url, ['--window', '60s']), '--store', url, '--store-timeout', '1s', '--', node, '-e', ''], { cwd, env });
    await waitFor(() => app.requests.filter((q) => q.phase === 'post').length >= 2, 'two POST requests');
    const { result, ms } = await whileFrozen(() => cli.done);
    expect(ms).toBeLessThan(1000 + SLACK_MS);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/seqpulse: store postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/frozen_\w+ did not answer within 1s \(store_timeout\); the deploy went ahead, but no verdict could be made\n\s+.*raise store_timeout/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const before = await admin((c) => c.query<{ status: string }>('select status from runs'), url);
    expect(before.rows).toEqual([{ status: 'observing' }]);
    const history = await runCli(['history', '--store', url, '--json'], { cwd });
    expect(JSON.parse(history.stdout)).toMatchObject([{ status: 'abandoned', verdict: null }]);
    expect(history.stderr).toMatch(/was abandoned: its process \d+ is gone/);
  }, 60_000);

  it('frozen when a command opens it: exit 2 within store_timeout, with advice for a server that does not answer (not for one that refused)', async () => {
    const url = await freshDatabase();
    const { result } = await whileFrozen(() => runCli(['history', '--store', url, '--store-timeout', '1s'], { cwd: tempDir() }));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no answer within 1s: store_timeout/);
    expect(result.stderr).toContain('The server accepted no query in time');
    expect(result.stderr).not.toContain('may create tables');
  }, 60_000);

  it('frozen before the deploy: exit 2 within store_timeout, and nothing is deployed', async () => {
    const url = await freshDatabase();
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    const marker = join(cwd, 'deployed');
    const cli = startCli(['run', ...fastFlags(app.url, ['--pre-samples', '10']), '--store', url, '--store-timeout', '1s', '--', node, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'yes')`], { cwd, env });
    await waitFor(() => app.requests.length >= 1, 'PRE sampling to begin');
    const { result, ms } = await whileFrozen(() => cli.done);
    // The rest of PRE (under a second), then one store operation's deadline.
    expect(ms).toBeLessThan(1000 + 1000 + SLACK_MS);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/seqpulse: store postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/frozen_\w+ did not answer within 1s \(store_timeout\)\n/);
    expect(result.stderr).not.toMatch(/deploy went ahead/);
    expect(existsSync(marker)).toBe(false);
    // The run's INSERT may have reached the server before seqpulse gave up on it, and run once the
    // server resumed (no client can know): then it is a run with no sample, whose process is gone,
    // and the next command here marks it abandoned.
    expect(await sharedCounts(url)).toMatchObject({ samples: 0, verdicts: 0 });
    const history = await runCli(['history', '--store', url, '--json'], { cwd });
    expect(history.code).toBe(0);
    expect(JSON.parse(history.stdout).every((r: { status: string }) => r.status === 'abandoned')).toBe(true);
  }, 60_000);
});

/** Runs in three pages of a sync. */
const RUNS = 600;

/**
 * A local store of RUNS finished runs, an empty shared database whose samples table a `holder`
 * session locks (a sync then waits there half-way, its first pages' runs and verdicts committed),
 * and a `watcher` session to look at the server from.
 */
async function syncHeldHalfWay() {
  const path = join(tempDir(), 'local.db');
  await storeWithFinishedRuns(path, RUNS);
  const url = await freshDatabase();
  const [holder, watcher] = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
  for (const c of [holder, watcher]) {
    c.on('error', () => undefined);
    await c.connect();
  }
  await holder.query('begin');
  await holder.query('lock table samples in exclusive mode');
  return { path, url, holder, watcher };
}

describe('a frozen Postgres as the target of `seqpulse sync`', () => {
  it('frozen half-way: exit 2 within store_timeout, nothing local touched; once it resumes, the next sync completes it exactly', async () => {
    // The sync waits half-way, its first pages' runs and verdicts committed; the server freezes there.
    const { path, url, holder, watcher } = await syncHeldHalfWay();
    const sync = startCli(['sync', '--store', path, '--to', url, '--store-timeout', '4s'], { cwd: tempDir() });
    const halfWay = await waitFor(async () => {
      const { rows } = await watcher.query<{ waiting: number; runs: number }>(`select (select count(*)::int from pg_stat_activity where wait_event_type = 'Lock') as waiting, (select count(*)::int from runs) as runs`);
      return rows[0]!.waiting > 0 && rows[0]!.runs > 0 && rows[0];
    }, 'the sync to wait on the samples table');
    expect(halfWay.runs).toBeLessThan(RUNS);
    const { result: cut, ms } = await whileFrozen(() => sync.done);
    expect(ms).toBeLessThan(4000 + SLACK_MS);
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(/sync to postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/frozen_\w+ stopped half-way \(store postgres:\/\/\*\*\*@.* did not answer within 4s \(store_timeout\)\)\n.*run `seqpulse sync` again/);
    expect(cut.stderr).not.toMatch(/\n\s+at /);
    await holder.query('rollback');
    await Promise.all([holder.end(), watcher.end()]);
    const check = await openStore(path);
    expect(await check.listRuns({ limit: 10_000 })).toHaveLength(RUNS);
    await check.close();

    const again = await runCli(['sync', '--store', path, '--to', url, '--json'], { cwd: tempDir() });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).pushed.samples).toBeGreaterThan(0);
    expect(await sharedCounts(url)).toEqual({ runs: RUNS, samples: RUNS * 3, verdicts: RUNS, ticks: RUNS * 3 });
    expect(JSON.parse((await runCli(['sync', '--store', path, '--to', url, '--json'], { cwd: tempDir() })).stdout)).toMatchObject({ pushed: { runs: 0, samples: 0, verdicts: 0 }, up_to_date: RUNS });
  }, 90_000);

  it('a frozen seqpulse holds nothing on the server: its statement is cancelled and its session ended by the server itself (lock_timeout, idle_in_transaction_session_timeout)', async () => {
    const { path, url, holder, watcher } = await syncHeldHalfWay();
    const sync = startCli(['sync', '--store', path, '--to', url, '--store-timeout', '2s'], { cwd: tempDir() });
    const backend = await waitFor(async () => {
      const { rows } = await watcher.query<{ pid: number }>(`select pid from pg_stat_activity where wait_event_type = 'Lock' and pid <> pg_backend_pid()`);
      return rows[0]?.pid;
    }, 'the sync to wait on the samples table');
    // seqpulse stops (a stalled runner): its own deadline cannot act; the server's must.
    sync.child.kill('SIGSTOP');
    try {
      await waitFor(async () => (await watcher.query('select 1 from pg_stat_activity where pid = $1', [backend])).rowCount === 0, `the server to end session ${backend}`, 15_000);
    } finally {
      sync.child.kill('SIGCONT');
    }
    const cut = await sync.done;
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(/sync to postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/frozen_\w+ stopped half-way/);
    await holder.query('rollback');
    await Promise.all([holder.end(), watcher.end()]);
    expect((await runCli(['sync', '--store', path, '--to', url, '--json'], { cwd: tempDir() })).code).toBe(0);
    expect(await sharedCounts(url)).toEqual({ runs: RUNS, samples: RUNS * 3, verdicts: RUNS, ticks: RUNS * 3 });
  }, 60_000);
});
