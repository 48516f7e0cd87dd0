/**
 * The Postgres store's deadlines, against a real Postgres that stops answering (SIGSTOP: its
 * sockets stay open, the kernel still accepts and ACKs, nothing answers) and one that holds a lock.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.js';
import { run, sample } from '../helpers/records.js';

const DEADLINE_MS = 1000;
/** What a bounded operation may take beyond its deadline on a loaded machine. */
const SLACK_MS = 3000;

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres({ prefix: 'seqpulse-pg-deadline-' });
});
afterAll(async () => {
  await server?.close();
});

async function timed<T>(work: Promise<T>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  const error = await work.then(() => undefined, (err: unknown) => err);
  return { ms: Date.now() - started, error };
}

describe('a Postgres store that stops answering', () => {
  it('an operation fails within its deadline with a clear StoreError; the ones after fail at once; closing does not wait', async () => {
    const store = await openPostgresStore(server.url, { timeoutMs: DEADLINE_MS });
    const r = run();
    await store.createRun(r);
    server.freeze();
    try {
      const first = await timed(store.addSamples([sample(r.id, 0, { a: 1 })]));
      expect(first.error).toBeInstanceOf(StoreError);
      expect((first.error as Error).message).toMatch(/^store postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/postgres did not answer within 1s \(store_timeout\)$/);
      expect((first.error as StoreError).hint).toMatch(/raise store_timeout/);
      expect(first.ms).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
      expect(first.ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
      // The server is not asked again: everything after fails with the same error, without waiting.
      const second = await timed(store.getRun(r.id));
      expect(second.error).toBe(first.error);
      expect(second.ms).toBeLessThan(DEADLINE_MS);
      const closing = await timed(store.close());
      expect(closing.error).toBeUndefined();
      expect(closing.ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
    } finally {
      server.thaw();
    }
    // Resumed: a new store works, and nothing of the abandoned write was half-kept.
    const again = await openPostgresStore(server.url, { timeoutMs: DEADLINE_MS });
    expect(await again.getRun(r.id)).toEqual(r);
    const samples = await again.getSamples(r.id);
    expect(samples.length === 0 || (samples.length === 1 && samples[0]!.metrics?.a === 1)).toBe(true);
    await again.close();
  });

  it('operations started one after another on a frozen server, beyond the pool\'s connections, all end at the first deadline (its start + store_timeout), not each at its own', async () => {
    const deadlineMs = 4000;
    const store = await openPostgresStore(server.url, { timeoutMs: deadlineMs });
    const runs = Array.from({ length: 8 }, () => run());
    server.freeze();
    try {
      const started = Date.now();
      // One every 500 ms, the last 3.5 s in: more than the pool's 4 connections, so the later ones
      // wait for a connection, and would get a fresh one to the frozen server once the first are cut.
      const ends = await Promise.all(
        runs.map(
          (r, i) =>
            new Promise<{ ms: number; error: unknown }>((resolve) =>
              setTimeout(() => void store.createRun(r).then(() => resolve({ ms: Date.now() - started, error: undefined }), (error: unknown) => resolve({ ms: Date.now() - started, error })), i * 500),
            ),
        ),
      );
      expect(ends.every((e) => e.error instanceof StoreError && /did not answer within 4s \(store_timeout\)/.test((e.error as Error).message))).toBe(true);
      expect(Math.min(...ends.map((e) => e.ms))).toBeGreaterThanOrEqual(deadlineMs - 50);
      const last = Math.max(...ends.map((e) => e.ms));
      expect(last, `the last operation ended ${last} ms after the first began: every one must end by the first deadline (${deadlineMs} ms) plus ${SLACK_MS / 2} ms`).toBeLessThan(deadlineMs + SLACK_MS / 2);
      await store.close();
    } finally {
      server.thaw();
    }
  });

  it('opening a store on a frozen server fails within the deadline (the connection is accepted, the start-up never answered)', async () => {
    server.freeze();
    try {
      const opening = await timed(openPostgresStore(server.url, { timeoutMs: DEADLINE_MS }));
      expect(opening.error).toBeInstanceOf(StoreError);
      expect((opening.error as Error).message).toMatch(/^store postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/postgres cannot be used \(/);
      expect(opening.ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
    } finally {
      server.thaw();
    }
  });

  it('the server enforces the deadline too (start-up parameters): a lock held elsewhere is given up by the server', async () => {
    const store = await openPostgresStore(server.url, { timeoutMs: 4000 });
    const r = run();
    await store.createRun(r);
    const holder = new pg.Client({ connectionString: server.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('lock table runs in access exclusive mode');
      const waiting = await timed(store.getRun(r.id));
      // lock_timeout is half the deadline: the server's own error, before the client cuts anything.
      expect((waiting.error as Error).message).toMatch(/failed \(canceling statement due to lock timeout\)/);
      expect(waiting.ms).toBeLessThan(4000);
      await holder.query('rollback');
      // The connection was not cut: the store goes on.
      expect(await store.getRun(r.id)).toEqual(r);
    } finally {
      await holder.end();
      await store.close();
    }
  });
});
