/**
 * `seqpulse prune` against real stores (a SQLite file, the test run's Postgres) that do not behave:
 * a trigger someone added that silently keeps rows, a server that is slow but answers. The sweep
 * ends, deletes a run whole or not at all, and each batch has its own deadline.
 */
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startCli, tempDir, type CliResult } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { run, sample, verdict } from '../helpers/records.js';
import { openStore } from '../../src/store/open.js';
import type { RunRecord } from '../../src/store/types.js';

const OLD = '2020-01-01T00:00:00.000Z';

/** Runs created long ago, each with two samples and a verdict, and one created today. */
async function seed(location: string, count: number): Promise<{ old: RunRecord[]; recent: RunRecord }> {
  const store = await openStore(location);
  try {
    const old = Array.from({ length: count }, () => run({ status: 'finished', created_at: OLD, updated_at: OLD }));
    const recent = run({ status: 'finished', created_at: new Date().toISOString() });
    await store.upsertRuns([...old, recent]);
    await store.addSamples([...old, recent].flatMap((r) => [sample(r.id, 0, { a: 1 }), sample(r.id, 1, { a: 2 })]));
    await store.saveVerdicts([...old, recent].map((r) => verdict(r.id)));
    return { old, recent };
  } finally {
    await store.close();
  }
}

/** The CLI, killed if it has not ended after `limitMs` (a prune that loops for ever must fail the test, not hang it). */
async function prune(args: string[], limitMs = 30_000): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  const cli = startCli(['prune', '--older-than', '30d', ...args], { cwd: tempDir() });
  const guard = setTimeout(() => cli.child.kill('SIGKILL'), limitMs);
  try {
    return { ...(await cli.done), ms: Date.now() - started };
  } finally {
    clearTimeout(guard);
  }
}

async function counts(location: string, ids: readonly string[]): Promise<{ runs: number; samples: number; verdicts: number }> {
  const store = await openStore(location);
  try {
    let runs = 0;
    let samples = 0;
    let verdicts = 0;
    for (const id of ids) {
      if (await store.getRun(id)) runs++;
      samples += (await store.getSamples(id)).length;
      if (await store.getVerdict(id)) verdicts++;
    }
    return { runs, samples, verdicts };
  } finally {
    await store.close();
  }
}

async function onPostgres(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const s of statements) await client.query(s);
  } finally {
    await client.end();
  }
}

describe('prune against a store whose runs a trigger keeps', () => {
  it('SQLite: exit 2 naming the cause, at once (it looped for ever at full CPU), and the kept run keeps its samples and verdict', async () => {
    const path = join(tempDir(), 'seqpulse.db');
    const { old, recent } = await seed(path, 3);
    const db = new BetterSqlite3(path);
    db.exec(`create trigger keep_one before delete on runs when old.id = '${old[1]!.id}' begin select raise(ignore); end`);
    db.close();

    const r = await prune(['--store', path]);
    expect(r.signal, 'prune had to be killed: it never ended').toBeNull();
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`store ${path} kept 1 of the 3 runs it was told to delete`);
    expect(r.stderr).toMatch(/trigger or rule/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    // The batch was rolled back whole: no run was left stripped of its samples and verdict.
    expect(await counts(path, old.map((o) => o.id))).toEqual({ runs: 3, samples: 6, verdicts: 3 });
    expect(await counts(path, [recent.id])).toEqual({ runs: 1, samples: 2, verdicts: 1 });
  });

  it('Postgres: exit 2 naming the cause, not "did not answer within store_timeout" from a healthy server, and nothing of the batch deleted', async () => {
    const url = await createTestDatabase();
    const { old } = await seed(url, 3);
    await onPostgres(url, [
      `create function keep_one() returns trigger language plpgsql as $$ begin if old.id = '${old[1]!.id}' then return null; end if; return old; end $$`,
      'create trigger keep_one before delete on runs for each row execute function keep_one()',
    ]);

    const r = await prune(['--store', url, '--store-timeout', '5s']);
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/store postgres:\/\/\*\*\*@[^ ]+ kept 1 of the 3 runs it was told to delete/);
    expect(r.stderr).not.toMatch(/did not answer|internal error|\n\s+at /);
    expect(await counts(url, old.map((o) => o.id))).toEqual({ runs: 3, samples: 6, verdicts: 3 });
  });
});

describe('prune of a large store on a healthy Postgres', () => {
  it('each batch has its own store_timeout: a sweep longer than store_timeout, every batch well within it, deletes everything (it failed half-way as "did not answer")', async () => {
    const url = await createTestDatabase();
    // 1,200 old runs: three batches of at most 500. The server takes 0.4 s over each batch's delete of
    // runs (a statement trigger standing in for a big store's work), 1.2 s in all, each well within 1 s.
    const { old, recent } = await seed(url, 1200);
    await onPostgres(url, [
      `create function slow_delete() returns trigger language plpgsql as $$ begin perform pg_sleep(0.4); return null; end $$`,
      'create trigger slow_delete after delete on runs for each statement execute function slow_delete()',
    ]);

    const r = await prune(['--store', url, '--store-timeout', '1s', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).deleted).toEqual({ runs: 1200, samples: 2400 });
    expect(await counts(url, [old[0]!.id, old[1199]!.id, recent.id])).toEqual({ runs: 1, samples: 2, verdicts: 1 });
  });
});

describe('prune of a store holding creation times another tool wrote', () => {
  it('SQLite and Postgres: a run made within the retention period is never deleted because its created_at sorts as text before the cut-off (an offset, a number, no zeros, empty); such runs are kept and named, every other old run deleted', async () => {
    const day = 86_400_000;
    const now = Date.now();
    // 29.5 days ago (inside --older-than 30d), written at UTC-10: its text reads 10 hours earlier, before the cut-off.
    const withOffset = `${new Date(now - 29.5 * day - 10 * 3_600_000).toISOString().slice(0, 19)}-10:00`;
    const odd = [withOffset, String(now - day), `${new Date(now).getUTCFullYear()}`, '2026-1-5', '', '\u001b[2J2020-01-01T00:00:00.000Z'];
    for (const location of [join(tempDir(), 'seqpulse.db'), await createTestDatabase()]) {
      const { old, recent } = await seed(location, 2);
      const foreign = odd.map((created_at) => run({ status: 'finished', created_at, updated_at: created_at }));
      const store = await openStore(location);
      await store.upsertRuns(foreign);
      await store.saveVerdicts(foreign.map((r) => verdict(r.id)));
      await store.close();

      const r = await prune(['--store', location, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.deleted).toEqual({ runs: 2, samples: 4 });
      expect(out.kept_unknown_age.runs).toBe(odd.length);
      expect(out.kept_unknown_age.listed.map((k: { id: string }) => k.id)).toEqual(foreign.map((f) => f.id).sort());
      expect(await counts(location, foreign.map((f) => f.id))).toEqual({ runs: odd.length, samples: 0, verdicts: odd.length });
      expect(await counts(location, [...old.map((o) => o.id), recent.id])).toEqual({ runs: 1, samples: 2, verdicts: 1 });
      expect(r.stderr).toMatch(/warning: store \S+: 6 run\(s\) kept whatever their age, as their created_at is not a time as seqpulse writes it \(UTC, 2026-01-18T12:00:00\.000Z\): .* and 1 more\./);
      expect(r.stderr).not.toContain('\u001b');
    }
  });
});
