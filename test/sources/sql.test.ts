/** `source: sql` against the test run's real Postgres, and a real SQLite file. */
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, UnsafeRoleError } from '../../src/errors.js';
import { redactUserinfo } from '../../src/redact.js';
import { createSqlSource } from '../../src/sources/sql.js';
import type { MetricSource } from '../../src/sources/types.js';
import { tempDir } from '../helpers/cli.js';
import { createReaderRole, createTestDatabase } from '../helpers/postgres.js';
import { recordingProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait-for.js';

const tick = (timeoutMs = 5000) => ({ phase: 'post' as const, deploymentId: 'd-1', deadline: Date.now() + timeoutMs });
const opened: MetricSource[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
function source(opts: Parameters<typeof createSqlSource>[0]): MetricSource {
  const s = createSqlSource(opts);
  opened.push(s);
  return s;
}

/** A shop database, and the URL of a reader role made as docs/sources.md says (SELECT on payments). */
async function shopDatabase(): Promise<{ admin: string; reader: string }> {
  const admin = await createTestDatabase();
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create table payments (id serial primary key, status text not null, amount numeric not null);
    insert into payments (status, amount) values ('ok', 10), ('ok', 12.5), ('failed', 3), ('ok', 7);
    create sequence ticket;`);
  await client.end();
  return { admin, reader: await createReaderRole(admin, ['payments', 'ticket']) };
}

async function countPayments(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ n: number }>('select count(*)::int as n from payments');
  await client.end();
  return rows[0]!.n;
}

describe('sql source on Postgres', () => {
  it('reads one value per metric, (label, value) rows as <name>.<label>, and a NULL as no data', async () => {
    const { reader: url } = await shopDatabase();
    const s = source({
      url,
      queries: { payments: 'select count(*) from payments', revenue: 'select sum(amount) from payments;', by_status: 'select status, count(*) from payments group by status', refunds: 'select max(amount) from payments where status = \'refunded\'' },
      timeoutMs: 2000, maxRows: 100, budget: 100,
    });
    const [r] = await s.collect(tick());
    expect(r).toMatchObject({ ok: true, attempts: 1, metrics: { payments: 4, revenue: 32.5, 'by_status.ok': 3, 'by_status.failed': 1 } });
    expect(r!.metrics).not.toHaveProperty('refunds');
    expect(r!.endpoint).toBe(redactUserinfo(url));
  });

  it('refuses a write before anything is sent: the data stays as it was', async () => {
    const { admin, reader: url } = await shopDatabase();
    for (const query of ['delete from payments', 'select 1; delete from payments', 'with x as (delete from payments returning 1) select count(*) from x']) {
      expect(() => createSqlSource({ url, queries: { oops: query }, timeoutMs: 1000, maxRows: 10, budget: 10 })).toThrow(ConfigError);
    }
    expect(await countPayments(admin)).toBe(4);
  });

  it('runs every query read-only: what the check lets through still cannot write', async () => {
    const { admin, reader } = await shopDatabase();
    // The reader may read the sequence, not advance it; the session is read-only besides.
    const s = source({ url: reader, queries: { next_ticket: "select nextval('ticket')" }, timeoutMs: 2000, maxRows: 10, budget: 10 });
    const [r] = await s.collect(tick());
    expect(r!.ok).toBe(false);
    expect(r!.error).toMatch(/next_ticket: (cannot execute nextval\(\) in a read-only transaction|permission denied for sequence ticket)/);
    const check = new pg.Client({ connectionString: admin });
    await check.connect();
    expect((await check.query<{ last_value: string; is_called: boolean }>('select last_value, is_called from ticket')).rows[0]).toMatchObject({ is_called: false });
    await check.end();
  });

  it('cuts a slow query at the timeout; the next query still works', async () => {
    const { reader: url } = await shopDatabase();
    // 1.5 s: the server's own cancel comes 250 ms before the client's deadline. At 200 ms, a loaded
    // machine spent 120 ms connecting, and the 16 ms left between the two was not enough (CI, once).
    const s = source({ url, queries: { slow: 'select 1 from pg_sleep(5)', payments: 'select count(*) from payments' }, timeoutMs: 1500, maxRows: 10, budget: 10 });
    const started = Date.now();
    const [r] = await s.collect(tick());
    expect(Date.now() - started).toBeLessThan(4000);
    expect(r!.error).toMatch(/slow: canceling statement due to statement timeout/);
    expect(r).toMatchObject({ ok: true, metrics: { payments: 4 } });
  });

  it('an interrupt (SIGINT, the phase stopped) ends a query at once, not at its timeout; the next sample connects again', async () => {
    const { admin, reader: url } = await shopDatabase();
    const s = source({ url, queries: { slow: 'select 1 from pg_sleep(30)', payments: 'select count(*) from payments' }, timeoutMs: 20_000, maxRows: 10, budget: 10 });
    const stop = new AbortController();
    const pending = s.collect({ ...tick(25_000), signal: stop.signal });
    const watcher = new pg.Client({ connectionString: admin });
    await watcher.connect();
    try {
      await waitFor(async () => (await watcher.query(`select 1 from pg_stat_activity where state = 'active' and query like '%pg_sleep(30)%' and pid <> pg_backend_pid()`)).rowCount! > 0, 'the slow query to run');
    } finally {
      await watcher.end();
    }
    stop.abort();
    // It waited for the server's statement_timeout: 'slow: canceling statement due to statement timeout', 20 s later.
    expect((await pending)[0]).toMatchObject({ ok: false, error: 'slow: interrupted' });
    expect((await s.collect(tick()))[0]).toMatchObject({ metrics: { payments: 4 } });
  });

  it('enforces the row cap and the per-run query budget', async () => {
    const { reader: url } = await shopDatabase();
    const capped = source({ url, queries: { each: 'select id::text, amount from payments' }, timeoutMs: 2000, maxRows: 3, budget: 10 });
    expect((await capped.collect(tick()))[0]!.error).toMatch(/each: returned more than 3 rows \(sql_max_rows\)/);
    // The cap is what is fetched, not a rewrite of the text: a billion rows cost no more than four.
    const huge = source({ url, queries: { each: 'select generate_series(1, 1000000000)::text, 1' }, timeoutMs: 5000, maxRows: 3, budget: 10 });
    const started = Date.now();
    expect((await huge.collect(tick(5000)))[0]!.error).toMatch(/each: returned more than 3 rows \(sql_max_rows\)/);
    expect(Date.now() - started).toBeLessThan(4000);

    const budgeted = source({ url, queries: { a: 'select 1', b: 'select 2' }, timeoutMs: 2000, maxRows: 10, budget: 3 });
    expect((await budgeted.collect(tick()))[0]).toMatchObject({ ok: true, metrics: { a: 1, b: 2 } });
    const second = (await budgeted.collect(tick()))[0]!;
    expect(second.metrics).toEqual({ a: 1 });
    expect(second.error).toMatch(/b: not sent, the run's query budget \(sql_budget 3\) is spent/);
    expect((await budgeted.collect(tick()))[0]).toMatchObject({ ok: false });
  });

  it('bounds what a query may answer (issue 16): a huge answer, label or value fails its metric and nothing of it is kept; the sample goes on', async () => {
    const { reader: url } = await shopDatabase();
    const s = source({
      url,
      queries: {
        // 40 MB in one row: the connection goes at 16 MiB, and the next query opens another.
        wire: `select repeat('x', 40000000), 1`,
        after: 'select count(*) from payments',
        label: `select repeat('y', 201), 1`,
        text: `select repeat('z', 1001)`,
        longest: `select repeat('w', 200), 2`,
      },
      timeoutMs: 10_000, maxRows: 10, budget: 100,
    });
    const started = Date.now();
    const [r] = await s.collect(tick(20_000));
    // Cut as the bytes arrive, not at the 10 s timeout.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r!.metrics).toEqual({ after: 4, [`longest.${'w'.repeat(200)}`]: 2 });
    expect(r!.error).toBe([
      'wire: the answer is larger than 16 MiB; return one number, or (label, number) rows',
      'label: returned a label of 201 characters; labels become metric names, at most 200 characters',
      'text: returned a value of 1001 characters for text, not a number (at most 1000 are kept)',
    ].join('; '));
    // Rows each within the limits, but together past what a sample keeps (4 MiB of names and values).
    const many = source({ url, queries: { rows: `select repeat('v', 150) || g, g from generate_series(1, 30000) g`, after: 'select 1' }, timeoutMs: 10_000, maxRows: 100_000, budget: 10 });
    const [m] = await many.collect(tick(20_000));
    expect(m!.metrics).toEqual({ after: 1 });
    expect(m!.error).toBe('rows: its answer would take the sample past 4 MiB of metric names and values; return fewer or shorter rows');
  });

  it('a database that cannot be reached is a failed sample naming the metric, with the password masked', async () => {
    const s = source({ url: 'postgres://reader:hunter2@127.0.0.1:9/shop', queries: { payments: 'select 1' }, timeoutMs: 500, maxRows: 10, budget: 10 });
    const [r] = await s.collect(tick());
    expect(r).toMatchObject({ ok: false, endpoint: 'postgres://***@127.0.0.1:9/shop' });
    expect(r!.error).toMatch(/^payments: .*ECONNREFUSED/);
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });
});

describe('sql source on SQLite', () => {
  it('reads from a file opened read-only and leaves it untouched', async () => {
    const path = join(tempDir(), 'shop.db');
    const db = new BetterSqlite3(path);
    db.exec("create table orders (id integer primary key, total real); insert into orders (total) values (5), (7.5);");
    db.close();
    const s = source({ url: `sqlite:${path}`, queries: { orders: 'select count(*) from orders', revenue: 'select sum(total) from orders' }, timeoutMs: 1000, maxRows: 10, budget: 10 });
    expect((await s.collect(tick()))[0]).toMatchObject({ ok: true, metrics: { orders: 2, revenue: 12.5 } });
    const check = new BetterSqlite3(path, { readonly: true });
    expect(check.prepare('select count(*) as n from orders').get()).toEqual({ n: 2 });
    check.close();
  });

  it('bounds what a query may answer (issue 16): a 20 MB blob never leaves the reader; long labels and values fail their metric', async () => {
    const path = join(tempDir(), 'shop.db');
    const db = new BetterSqlite3(path);
    db.exec('create table orders (id integer primary key, total real); insert into orders (total) values (5), (7.5);');
    db.close();
    const s = source({
      url: `sqlite:${path}`,
      queries: {
        blob: 'select randomblob(20000000)',
        after: 'select count(*) from orders',
        label: "select substr(hex(zeroblob(101)), 1, 201), 1",
        bytes: 'select zeroblob(1001)',
        rows: "with recursive g(n) as (select 1 union all select n + 1 from g where n < 30000) select hex(zeroblob(75)) || n, n from g",
      },
      timeoutMs: 10_000, maxRows: 100_000, budget: 100,
    });
    const [r] = await s.collect(tick(20_000));
    expect(r!.metrics).toEqual({ after: 2 });
    expect(r!.error).toBe([
      'blob: the answer is larger than 16 MiB; return one number, or (label, number) rows',
      'label: returned a label of 201 characters; labels become metric names, at most 200 characters',
      'bytes: returned a value of 1001 bytes for bytes, not a number (at most 1000 are kept)',
      'rows: its answer would take the sample past 4 MiB of metric names and values; return fewer or shorter rows',
    ].join('; '));
  });

  it('a missing file is a failed sample, not a new empty database', async () => {
    const path = join(tempDir(), 'missing.db');
    const s = source({ url: path, queries: { orders: 'select count(*) from orders' }, timeoutMs: 1000, maxRows: 10, budget: 10 });
    const [r] = await s.collect(tick());
    expect(r!.ok).toBe(false);
    expect(r!.error).toMatch(/orders: .*(unable to open|does not exist|directory)/i);
  });
});

describe('sql source on Postgres: only a role that can do nothing but read', () => {
  // Each grant below gives the reader a way to write, reach the server's files, or connect out.
  const grants: [string, string[], RegExp][] = [
    ['INSERT on a table', ['GRANT INSERT ON payments TO $ROLE'], /can write to payments/],
    ['UPDATE on one column', ['GRANT UPDATE (status) ON payments TO $ROLE'], /can write to payments/],
    ['TRUNCATE', ['GRANT TRUNCATE ON payments TO $ROLE'], /can write to payments/],
    ['ownership of a table', ['ALTER TABLE payments OWNER TO $ROLE'], /owns payments/],
    ['USAGE on a sequence (nextval)', ['GRANT USAGE ON SEQUENCE ticket TO $ROLE'], /can advance the sequence ticket/],
    ['CREATE on a schema', ['GRANT CREATE ON SCHEMA public TO $ROLE'], /can create objects in the schema public/],
    ['CREATE on the database', ['GRANT CREATE ON DATABASE $DB TO $ROLE'], /can create schemas in the database/],
    ['a writer role it can SET ROLE to, without inheriting', ['CREATE ROLE $ROLE_w NOLOGIN', 'GRANT DELETE ON payments TO $ROLE_w', 'GRANT $ROLE_w TO $ROLE WITH INHERIT FALSE'], /_w can write to payments/],
    ['pg_write_server_files', ['GRANT pg_write_server_files TO $ROLE'], /member of pg_write_server_files/],
    ['pg_execute_server_program', ['GRANT pg_execute_server_program TO $ROLE'], /member of pg_execute_server_program/],
    ['EXECUTE granted on pg_read_file', ['GRANT EXECUTE ON FUNCTION pg_read_file(text) TO $ROLE'], /can execute pg_read_file\(text\)/],
    ['EXECUTE granted on lo_export', ['GRANT EXECUTE ON FUNCTION lo_export(oid, text) TO $ROLE'], /can execute lo_export\(oid,text\)/],
    ['the dblink extension (connects out, outside the read-only transaction)', ['CREATE EXTENSION dblink'], /\(extension dblink\)/],
    ['a SECURITY DEFINER function owned by a superuser', ['CREATE FUNCTION as_admin() RETURNS int SECURITY DEFINER LANGUAGE sql AS $$select 1$$'], /can execute public\.as_admin\(\), a SECURITY DEFINER function that runs as \w+ \(revoke it: REVOKE EXECUTE ON FUNCTION public\.as_admin\(\) FROM PUBLIC\)/],
    [
      'a SECURITY DEFINER function owned by a role that is no superuser, granted to it alone',
      ['CREATE ROLE $ROLE_owner NOLOGIN', 'GRANT DELETE ON payments TO $ROLE_owner', 'CREATE FUNCTION purge(id int) RETURNS int SECURITY DEFINER LANGUAGE sql AS $$select 1$$', 'ALTER FUNCTION purge(int) OWNER TO $ROLE_owner', 'REVOKE EXECUTE ON FUNCTION purge(int) FROM PUBLIC', 'GRANT EXECUTE ON FUNCTION purge(int) TO $ROLE'],
      /can execute public\.purge\(id integer\), a SECURITY DEFINER function that runs as reader_\w+_owner \(revoke it: REVOKE EXECUTE ON FUNCTION public\.purge\(id integer\) FROM reader_\w+\)/,
    ],
    ['CREATEDB', ['ALTER ROLE $ROLE CREATEDB'], /has the attribute CREATEDB/],
    ['BYPASSRLS', ['ALTER ROLE $ROLE BYPASSRLS'], /has the attribute BYPASSRLS/],
  ];

  it.each(grants)('refuses a reader with %s, before any query of the config is sent', async (_what, extra, reason) => {
    const { admin } = await shopDatabase();
    const db = new URL(admin).pathname.slice(1);
    const reader = await createReaderRole(admin, ['payments', 'ticket'], extra.map((sql) => sql.replaceAll('$DB', db)));
    await refusedBeforeAnyQuery(reader, reason);
  });

  it('refuses a superuser, before any query of the config is sent', async () => {
    const { admin } = await shopDatabase();
    await refusedBeforeAnyQuery(admin, /has the attribute SUPERUSER/);
  });

  it('accepts the reader docs/sources.md describes, also with pg_read_all_data', async () => {
    const { admin } = await shopDatabase();
    const reader = await createReaderRole(admin, [], ['GRANT pg_read_all_data TO $ROLE']);
    const [r] = await source({ url: reader, queries: { payments: 'select count(*) from payments' }, timeoutMs: 2000, maxRows: 10, budget: 10 }).collect(tick());
    expect(r).toMatchObject({ ok: true, metrics: { payments: 4 } });
  });

  it('refuses URL parameters that would set the session (options=-c default_transaction_read_only=off)', () => {
    for (const param of ['options=-c%20default_transaction_read_only%3Doff', 'statement_timeout=0', 'replication=database']) {
      expect(() => createSqlSource({ url: `postgres://r:p@127.0.0.1:5432/shop?${param}`, queries: { a: 'select 1' }, timeoutMs: 1000, maxRows: 10, budget: 10 })).toThrow(/sql_url: the URL parameter "\w+" is not allowed/);
    }
  });
});

/**
 * The role is refused (an error naming what it can do, and which grants to use instead) and no
 * query of the config ever crossed the wire: a proxy records what the client sent.
 */
async function refusedBeforeAnyQuery(url: string, reason: RegExp): Promise<void> {
  const target = new URL(url);
  const proxy = await recordingProxy({ host: target.hostname, port: Number(target.port) });
  try {
    target.host = `127.0.0.1:${proxy.port}`;
    const marker = `marker_${Math.random().toString(36).slice(2)}`;
    const s = source({ url: target.toString(), queries: { payments: `select count(*) as ${marker} from payments` }, timeoutMs: 5000, maxRows: 10, budget: 10 });
    const err = await s.collect(tick()).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafeRoleError);
    expect((err as UnsafeRoleError).message).toMatch(reason);
    expect((err as UnsafeRoleError).hint).toMatch(/GRANT SELECT ON/);
    const sent = proxy.sent().toString('latin1');
    expect(sent).toContain('pg_has_role'); // the role check went through this proxy...
    expect(sent).not.toContain(marker); // ...and the config's query never did
  } finally {
    await proxy.close();
  }
}
