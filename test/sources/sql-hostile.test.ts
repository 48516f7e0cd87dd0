/**
 * The sql source against a hostile seqpulse.yml, on a real Postgres: each query below tries to
 * write, run a program, create a file, lift the read-only mode or the timeout, or run on past the
 * timeout. They go straight to the Postgres reader (past the early text check, which is only a
 * friendly error): what must hold is what the server enforces. Effects are checked, not messages.
 */
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresReader, readQuery, sessionOptions, type SqlReader } from '../../src/sources/sql-postgres.js';
import { createSqlSource } from '../../src/sources/sql.js';
import { UnsafeRoleError } from '../../src/errors.js';
import { hostileDb, SESSION_PROBE, type HostileDb } from '../helpers/hostile-db.js';
import { asAdmin, createReaderRole } from '../helpers/postgres.js';

const TIMEOUT_MS = 1500;
let db: HostileDb;
let reader: SqlReader;
let before: Awaited<ReturnType<HostileDb['effects']>>;
let session: string;

beforeAll(async () => {
  db = await hostileDb();
  reader = await openPostgresReader(db.reader, TIMEOUT_MS, 5000);
  before = await db.effects();
  session = String((await reader.query(SESSION_PROBE, 2, TIMEOUT_MS))[0]![0]);
});
afterAll(async () => {
  await reader?.close();
});

const corpus = (m: string): string[] => [
  // The guard bypass of issue 16: a nested comment and a quote, then statements after the wrapper it closed.
  `select 1 /* /* */ ' */ ) x; commit; begin read write; delete from payments; commit; --`,
  `select 1; delete from payments`,
  `select 1 /* ; */ ; copy (select 1) to '${join(m, 'copy-after')}'`,
  `select $$;$$; delete from payments`,
  `select E'\\'; delete from payments; --'`,
  `commit; select pg_sleep(20)`,
  `commit`,
  `begin read write`,
  `set default_transaction_read_only = off`,
  `set session characteristics as transaction read write`,
  `set statement_timeout = 0`,
  `reset all`,
  `select set_config('statement_timeout', '0', false), set_config('default_transaction_read_only', 'off', false)`,
  `set transaction read write`,
  `call sneaky()`,
  `do $$ begin commit; end $$`,
  `do $$ begin perform set_config('default_transaction_read_only', 'off', false); delete from payments; end $$`,
  `with gone as (delete from payments returning 1) select count(*) from gone`,
  `insert into payments (status, amount) values ('x', 1)`,
  `update payments set amount = 0`,
  `truncate payments`,
  `delete from payments`,
  `select nextval('ticket')`,
  `create table stolen as select * from payments`,
  `copy (select 1) to '${join(m, 'copy')}'`,
  `copy (select 1) to program 'touch ${join(m, 'program')}'`,
  `copy payments to stdout`,
  `copy payments from stdin`,
  `select lo_export(lo_from_bytea(0, 'x'), '${join(m, 'lo')}')`,
  `select pg_read_file('/etc/hostname')`,
  `select pg_advisory_lock(4242)`,
  `prepare stays as select 1`,
  `lock table payments in access exclusive mode`,
  `vacuum payments`,
  `discard all`,
  `select pg_sleep(20)`,
  `select 1 from pg_sleep(20)`,
];

describe('hostile queries, sent as the reader role the docs describe', () => {
  it.each(corpus('<markers>').map((_, i) => i))('query %i changes nothing, cannot run past the timeout, and leaves the session as it was', async (i) => {
    const sql = corpus(db.markers)[i]!;
    const started = Date.now();
    await reader.query(sql, 10, TIMEOUT_MS).catch(() => undefined);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1000);
    expect(await db.effects()).toEqual(before);
    // Same session, same settings: read-only, the start-up timeout, the same role.
    expect(String((await reader.query(SESSION_PROBE, 2, TIMEOUT_MS))[0]![0])).toBe(session);
  });

  it('a session advisory lock taken by a query is released with it', async () => {
    await reader.query('select pg_advisory_lock(777)', 1, TIMEOUT_MS);
    const other = await openPostgresReader(db.reader, TIMEOUT_MS, 5000);
    try {
      expect((await other.query('select pg_try_advisory_lock(777)', 1, TIMEOUT_MS))[0]![0]).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('through the whole source (early check in front), the issue 16 bypass is refused or harmless', async () => {
    const exploit = corpus(db.markers)[0]!;
    let source;
    try {
      source = createSqlSource({ url: db.reader, queries: { x: exploit }, timeoutMs: TIMEOUT_MS, maxRows: 10, budget: 10 });
    } catch (err) {
      expect(String(err)).toMatch(/queries\.x/);
      return;
    }
    try {
      await source.collect({ phase: 'post', deploymentId: 'd', deadline: Date.now() + 5000 });
    } finally {
      await source.close();
    }
    expect(await db.effects()).toEqual(before);
  });
});

describe('statements that return no rows are refused before they run (issue 16: Describe before Execute)', () => {
  // Each one, had it run, leaves a trace the test can see: a prepared transaction that outlives
  // the session (pg_prepared_xacts), a notice sent to the client (DO ... RAISE NOTICE), the
  // "no transaction in progress" warning the closing ROLLBACK gives after a COMMIT, a listening
  // channel, a notification delivered to another session, a temporary table, a setting.
  const utility = [
    `prepare transaction 'seqpulse_probe'`,
    `commit`,
    `rollback`,
    `end`,
    `savepoint s`,
    `begin`,
    `do $$ begin raise notice 'seqpulse-ran'; end $$`,
    `listen seqpulse_channel`,
    `notify seqpulse_channel, 'seqpulse-ran'`,
    `set statement_timeout = 0`,
    `set local default_transaction_read_only = off`,
    `reset all`,
    `discard all`,
    `create temp table seqpulse_temp (x int)`,
    `prepare stays as select 1`,
    `deallocate all`,
    `lock table payments in access share mode`,
    `analyze payments`,
    `checkpoint`,
    `load 'plpgsql'`,
    ``,
  ];

  it.each(utility)('%j is refused, and nothing of it happened', async (sql) => {
    const notices: string[] = [];
    const notified: string[] = [];
    const client = new pg.Client({ connectionString: db.reader, options: sessionOptions(TIMEOUT_MS) });
    const watcher = new pg.Client({ connectionString: db.admin });
    client.on('notice', (n) => notices.push(n.message ?? ''));
    watcher.on('notification', (n) => notified.push(n.payload ?? ''));
    await Promise.all([client.connect(), watcher.connect()]);
    try {
      await watcher.query('listen seqpulse_channel');
      await expect(readQuery(client, sql, 10, TIMEOUT_MS)).rejects.toThrow(/returns no rows, so it was not run/);
      // The same session answers, with no trace of the statement.
      const traces = await client.query<{ listening: number; temps: number; prepared: number }>(
        `select (select count(*)::int from pg_listening_channels()) as listening, (select count(*)::int from pg_class where relname = 'seqpulse_temp') as temps, (select count(*)::int from pg_prepared_xacts) as prepared`,
      );
      expect(traces.rows[0]).toEqual({ listening: 0, temps: 0, prepared: 0 });
      expect((await client.query<{ s: string }>(`select current_setting('statement_timeout') || ' ' || current_setting('default_transaction_read_only') as s`)).rows[0]!.s).toBe(`${TIMEOUT_MS}ms on`);
      // A notification would have been delivered by now: a round trip on the watcher's own connection comes after it.
      await watcher.query('select 1');
      expect({ notices, notified }).toEqual({ notices: [], notified: [] });
      expect(await db.effects()).toEqual(before);
    } finally {
      await Promise.all([client.end(), watcher.end()]);
    }
  });

  it('PREPARE TRANSACTION through the reader leaves no prepared transaction behind its session', async () => {
    await expect(reader.query(`prepare transaction 'seqpulse_left'`, 10, TIMEOUT_MS)).rejects.toThrow(/not a query/);
    const other = new pg.Client({ connectionString: db.admin });
    await other.connect();
    try {
      expect((await other.query('select gid from pg_prepared_xacts')).rows).toEqual([]);
    } finally {
      await other.end();
    }
    expect(await reader.query('select 1', 1, TIMEOUT_MS)).toEqual([[1]]);
  });
});

describe('a SECURITY DEFINER function of another role (issue 16)', () => {
  it('one owned by a writer that may use dblink would delete rows through the reader: the reader is refused, and no row goes', async () => {
    const target = await hostileDb();
    const admin = new URL(target.admin);
    const owner = `owner_${Math.random().toString(36).slice(2, 10)}`;
    const ownerUrl = `host=${admin.hostname} port=${admin.port} dbname=${admin.pathname.slice(1)} user=${owner} password=owner-pw`;
    await asAdmin(target.admin, [
      'create extension dblink',
      // dblink is out of the reader's reach (which the check already refuses otherwise)...
      'revoke execute on all functions in schema public from public',
      `create role ${owner} login password 'owner-pw'`,
      `grant usage on schema public to ${owner}`,
      `grant select, delete on payments to ${owner}`,
      `grant execute on all functions in schema public to ${owner}`,
      // ...but this function runs as its owner, who may use it, and anyone may call it.
      `create function public.purge(q text) returns text language sql security definer as $$ select public.dblink_exec('${ownerUrl}', q) $$`,
      `alter function public.purge(text) owner to ${owner}`,
      'grant execute on function public.purge(text) to public',
    ]);
    const reader = await createReaderRole(target.admin, ['payments']);
    const untouched = await target.effects();
    const source = createSqlSource({ url: reader, queries: { x: `select public.purge('delete from payments where id = 3')` }, timeoutMs: TIMEOUT_MS, maxRows: 10, budget: 10 });
    try {
      const err = await source.collect({ phase: 'post', deploymentId: 'd', deadline: Date.now() + 5000 }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(UnsafeRoleError);
      expect(String((err as Error).message)).toContain(`can execute public.purge(q text), a SECURITY DEFINER function that runs as ${owner} (revoke it: REVOKE EXECUTE ON FUNCTION public.purge(q text) FROM PUBLIC)`);
    } finally {
      await source.close();
    }
    expect(await target.effects()).toEqual(untouched);
  });
});
