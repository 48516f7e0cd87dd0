/** The embedded store on real SQLite files. */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { VerdictReport } from '../../src/core/types.js';
import { StoreError } from '../../src/errors.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { RunRecord, StoredSample } from '../../src/store/types.js';

const dbPath = () => join(mkdtempSync(join(tmpdir(), 'seqpulse-store-')), 'nested', 'seqpulse.db');

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: randomUUID(),
    project: 'shop',
    env: 'prod',
    status: 'started',
    settings: { endpoints: ['http://127.0.0.1:1/ds-metrics'], interval_ms: 1000, window_ms: 10_000, pre_samples: 3, timeout_ms: 500 },
    command: ['kubectl', 'apply', '-f', 'k8s/'],
    result: null,
    deploy_exit_code: null,
    deploy_signal: null,
    created_at: '2026-01-18T12:00:00.000Z',
    updated_at: '2026-01-18T12:00:00.000Z',
    deployed_at: null,
    finished_at: null,
    ...overrides,
  };
}

function sample(runId: string, seq: number, metrics: Record<string, unknown> | null, overrides: Partial<StoredSample> = {}): StoredSample {
  return {
    id: randomUUID(),
    run_id: runId,
    phase: 'pre',
    seq,
    endpoint: 'http://127.0.0.1:1/ds-metrics',
    scheduled_at: `2026-01-18T12:00:0${seq}.000Z`,
    taken_at: `2026-01-18T12:00:0${seq}.050Z`,
    ok: metrics !== null,
    http_status: metrics === null ? 503 : 200,
    error: metrics === null ? 'HTTP 503' : null,
    attempts: 1,
    latency_ms: 12.5,
    metrics,
    ...overrides,
  };
}

function verdict(runId: string, overrides: Partial<VerdictReport> = {}): VerdictReport {
  return {
    deployment_id: runId,
    project: 'shop',
    env: 'prod',
    verdict: 'ok',
    confidence: 0.93,
    summary: 'No significant regression detected',
    details: [],
    metrics: [],
    hints: [],
    result: 'success',
    deploy_exit_code: 0,
    status: 'finished',
    samples: { pre: 3, post: 10, failed: 0 },
    created_at: '2026-01-18T12:05:00.000Z',
    exit_code: 0,
    ...overrides,
  };
}

describe('SQLite store', () => {
  it('creates the file and its directory, migrates, and uses WAL', async () => {
    const path = dbPath();
    const store = await openSqliteStore(path);
    await store.close();
    const raw = new BetterSqlite3(path);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = raw.prepare("select name from sqlite_master where type = 'table' order by name").all() as { name: string }[];
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['runs', 'samples', 'verdicts', 'seqpulse_migrations']));
    expect(raw.prepare('select count(*) as n from seqpulse_migrations').get()).toEqual({ n: 1 });
    raw.close();
  });

  it('re-opening keeps the data and does not migrate twice', async () => {
    const path = dbPath();
    const first = await openSqliteStore(path);
    const r = run();
    await first.createRun(r);
    await first.close();
    const second = await openSqliteStore(path);
    expect(await second.getRun(r.id)).toEqual(r);
    await second.close();
    const raw = new BetterSqlite3(path);
    expect(raw.prepare('select count(*) as n from seqpulse_migrations').get()).toEqual({ n: 1 });
    raw.close();
  });

  it('round-trips runs and updates them', async () => {
    const store = await openSqliteStore(dbPath());
    const r = run({ command: null });
    await store.createRun(r);
    await store.updateRun(r.id, { status: 'deploy_failed', result: 'failed', deploy_exit_code: 7, deploy_signal: null, deployed_at: '2026-01-18T12:01:00.000Z' });
    const got = await store.getRun(r.id);
    expect(got).toMatchObject({ status: 'deploy_failed', result: 'failed', deploy_exit_code: 7, command: null, settings: r.settings });
    expect(got!.updated_at > r.updated_at).toBe(true);
    expect(await store.getRun(randomUUID())).toBeUndefined();
    await store.close();
  });

  it('samples are idempotent, keep every raw value, and come back in order', async () => {
    const store = await openSqliteStore(dbPath());
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

  it('a verdict is stored once; the second save returns false and leaves the first', async () => {
    const store = await openSqliteStore(dbPath());
    const r = run();
    await store.createRun(r);
    const first = verdict(r.id);
    expect(await store.saveVerdict(first)).toBe(true);
    expect(await store.saveVerdict(verdict(r.id, { verdict: 'rollback_recommended', exit_code: 1 }))).toBe(false);
    expect(await store.getVerdict(r.id)).toEqual(first);
    await store.close();
  });

  it('lists runs newest first with filters, and finds runs by id prefix', async () => {
    const store = await openSqliteStore(dbPath());
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
