/** `source: sql` against the test run's real Postgres, and a real SQLite file. */
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { redactUserinfo } from '../../src/redact.js';
import { createSqlSource } from '../../src/sources/sql.js';
import type { MetricSource } from '../../src/sources/types.js';
import { tempDir } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/postgres.js';

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

async function shopDatabase(): Promise<string> {
  const url = await createTestDatabase();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`create table payments (id serial primary key, status text not null, amount numeric not null);
    insert into payments (status, amount) values ('ok', 10), ('ok', 12.5), ('failed', 3), ('ok', 7);
    create sequence ticket;`);
  await client.end();
  return url;
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
    const url = await shopDatabase();
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
    const url = await shopDatabase();
    for (const query of ['delete from payments', 'select 1; delete from payments', 'with x as (delete from payments returning 1) select count(*) from x']) {
      expect(() => createSqlSource({ url, queries: { oops: query }, timeoutMs: 1000, maxRows: 10, budget: 10 })).toThrow(ConfigError);
    }
    expect(await countPayments(url)).toBe(4);
  });

  it('runs every query read-only: what the check lets through still cannot write', async () => {
    const url = await shopDatabase();
    const s = source({ url, queries: { next_ticket: "select nextval('ticket')" }, timeoutMs: 2000, maxRows: 10, budget: 10 });
    const [r] = await s.collect(tick());
    expect(r!.ok).toBe(false);
    expect(r!.error).toMatch(/next_ticket: cannot execute nextval\(\) in a read-only transaction/);
  });

  it('cuts a slow query at the timeout; the next query still works', async () => {
    const url = await shopDatabase();
    const s = source({ url, queries: { slow: 'select 1 from pg_sleep(5)', payments: 'select count(*) from payments' }, timeoutMs: 200, maxRows: 10, budget: 10 });
    const started = Date.now();
    const [r] = await s.collect(tick());
    expect(Date.now() - started).toBeLessThan(4000);
    expect(r!.error).toMatch(/slow: canceling statement due to statement timeout/);
    expect(r).toMatchObject({ ok: true, metrics: { payments: 4 } });
  });

  it('enforces the row cap and the per-run query budget', async () => {
    const url = await shopDatabase();
    const capped = source({ url, queries: { each: 'select id::text, amount from payments' }, timeoutMs: 2000, maxRows: 3, budget: 10 });
    expect((await capped.collect(tick()))[0]!.error).toMatch(/each: returned more than 3 rows \(sql_max_rows\)/);

    const budgeted = source({ url, queries: { a: 'select 1', b: 'select 2' }, timeoutMs: 2000, maxRows: 10, budget: 3 });
    expect((await budgeted.collect(tick()))[0]).toMatchObject({ ok: true, metrics: { a: 1, b: 2 } });
    const second = (await budgeted.collect(tick()))[0]!;
    expect(second.metrics).toEqual({ a: 1 });
    expect(second.error).toMatch(/b: not sent, the run's query budget \(sql_budget 3\) is spent/);
    expect((await budgeted.collect(tick()))[0]).toMatchObject({ ok: false });
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

  it('a missing file is a failed sample, not a new empty database', async () => {
    const path = join(tempDir(), 'missing.db');
    const s = source({ url: path, queries: { orders: 'select count(*) from orders' }, timeoutMs: 1000, maxRows: 10, budget: 10 });
    const [r] = await s.collect(tick());
    expect(r!.ok).toBe(false);
    expect(r!.error).toMatch(/orders: .*(unable to open|does not exist|directory)/i);
  });
});
