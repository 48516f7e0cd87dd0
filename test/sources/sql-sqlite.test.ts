/**
 * The sql source on a real SQLite file, against hostile queries: none may write the file, create a
 * file (ATTACH, VACUUM INTO, a journal), change a pragma, or run past the timeout. Effects are
 * checked: the file's bytes, a trigger-recorded write log, the folder's files, the process table.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSqlSource } from '../../src/sources/sql.js';
import { openSqliteReader } from '../../src/sources/sql-sqlite.js';
import type { MetricSource } from '../../src/sources/types.js';
import { tempDir } from '../helpers/cli.js';
import { isAlive } from '../helpers/postgres-server.js';
import { waitFor } from '../helpers/wait-for.js';

const opened: MetricSource[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
const tick = (ms = 5000) => ({ phase: 'post' as const, deploymentId: 'd-1', deadline: Date.now() + ms });

function shop() {
  const dir = tempDir('seqpulse-sqlite-');
  const path = join(dir, 'shop.db');
  const db = new BetterSqlite3(path);
  db.exec(`create table orders (id integer primary key, total real);
    insert into orders (total) values (5), (7.5);
    create table writes_log (op text);
    create trigger w1 after insert on orders begin insert into writes_log values ('insert'); end;
    create trigger w2 after update on orders begin insert into writes_log values ('update'); end;
    create trigger w3 after delete on orders begin insert into writes_log values ('delete'); end;`);
  db.close();
  const effects = () => {
    const check = new BetterSqlite3(path, { readonly: true });
    try {
      return {
        bytes: createHash('sha256').update(readFileSync(path)).digest('hex'),
        writes: (check.prepare('select count(*) as n from writes_log').get() as { n: number }).n,
        orders: check.prepare('select id, total from orders order by id').all(),
        files: readdirSync(dir).sort(),
      };
    } finally {
      check.close();
    }
  };
  return { dir, path, effects };
}

function source(path: string, queries: Record<string, string>, timeoutMs = 2000): MetricSource {
  const s = createSqlSource({ url: `sqlite:${path}`, queries, timeoutMs, maxRows: 10, budget: 1000 });
  opened.push(s);
  return s;
}

/** Processes below this one whose command line runs the SQLite reader. */
function sqliteReaders(): number[] {
  const out: number[] = [];
  const visit = (pid: number) => {
    for (const task of safe(() => readdirSync(`/proc/${pid}/task`), [])) {
      for (const child of safe(() => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8'), '').split(' ').filter(Boolean).map(Number)) {
        if (safe(() => readFileSync(`/proc/${child}/cmdline`, 'utf8'), '').includes('sqliteChild')) out.push(child);
        visit(child);
      }
    }
  };
  visit(process.pid);
  return out;
}
/** Exited (a zombie nobody reaped yet counts as gone: it runs nothing). */
function gone(pid: number): boolean {
  return !isAlive(pid) || / Z /.test(safe(() => readFileSync(`/proc/${pid}/stat`, 'utf8'), ' Z '));
}
function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

describe('sql source on SQLite: hostile queries', () => {
  const corpus = (dir: string) => ({
    insert: "insert into orders (total) values (1) returning id",
    update: 'update orders set total = 0 returning id',
    delete: 'delete from orders returning id',
    several: 'select 1; delete from orders',
    create: 'create table stolen (x)',
    temp: 'create temp table t (x)',
    attach_new: `attach database '${join(dir, 'attached.db')}' as other`,
    attach_existing: `attach database '${join(dir, 'shop.db')}' as other`,
    vacuum_into: `vacuum into '${join(dir, 'copy.db')}'`,
    vacuum: 'vacuum',
    journal: 'pragma journal_mode = wal',
    user_version: 'pragma user_version = 42',
    query_only_off: 'pragma query_only = 0',
    writable_schema: 'pragma writable_schema = 1',
    load_extension: "select load_extension('/nonexistent/evil')",
    begin: 'begin immediate',
    savepoint: 'savepoint s',
    reindex: 'reindex',
    analyze: 'analyze',
    with_delete: 'with x as (select 1) delete from orders',
  });

  it('none writes the file, creates a file, or changes a pragma (sent straight to the reader, past the early text check)', async () => {
    const { dir, path, effects } = shop();
    const before = effects();
    const reader = await openSqliteReader(`sqlite:${path}`, 5000);
    try {
      for (const [name, sql] of Object.entries(corpus(dir))) {
        const outcome = await reader.query(sql, 10, 2000).then((rows) => `rows ${JSON.stringify(rows)}`, (err: unknown) => String(err));
        expect(outcome, name).toMatch(/^Error: /);
        expect(effects(), name).toEqual(before);
      }
      // Still the same read-only, query-only connection afterwards.
      expect(await reader.query('pragma query_only', 1, 2000)).toEqual([[1]]);
      expect(await reader.query('select count(*) from orders', 1, 2000)).toEqual([[2]]);
    } finally {
      await reader.close();
    }
    const check = new BetterSqlite3(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(0);
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    check.close();
  });

  it('a slow query is cut off at the timeout (its process killed) and is a failed sample; the next query works', async () => {
    const { path } = shop();
    const s = source(path, { slow: 'with recursive r(x) as (select 1 union all select x + 1 from r where x < 5000000000) select count(*) from r' }, 500);
    const started = Date.now();
    const [r] = await s.collect(tick());
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r).toMatchObject({ ok: false });
    expect(r!.error).toMatch(/slow: the query: no answer within [\d.]+m?s/);
    await waitFor(() => sqliteReaders().length <= 1, 'the killed SQLite reader to be gone');
    const fast = source(path, { orders: 'select count(*) from orders' });
    expect((await fast.collect(tick()))[0]).toMatchObject({ ok: true, metrics: { orders: 2 } });
  });

  it('an interrupt (SIGINT, the phase stopped) ends a query at once, its reader killed, not at its timeout', async () => {
    const { path } = shop();
    const s = source(path, { slow: 'with recursive r(x) as (select 1 union all select x + 1 from r) select count(*) from r' }, 20_000);
    const stop = new AbortController();
    const pending = s.collect({ ...tick(25_000), signal: stop.signal });
    stop.abort();
    // It ran on to the timeout: 'slow: the query: no answer within 20s'.
    expect((await pending)[0]).toMatchObject({ ok: false, error: 'slow: interrupted' });
    await waitFor(() => sqliteReaders().length === 0, 'the interrupted reader to be gone');
  });

  it('after a query cut off at the timeout, the other queries of the same sample run in a fresh reader (issue 16)', async () => {
    const { path } = shop();
    // The fresh reader starts within the next query's own timeout (a Node process and the driver):
    // 1.5 s leaves a loaded machine room for that, and the slow query runs for minutes anyway.
    const s = source(path, { before: 'select count(*) from orders', slow: 'with recursive r(x) as (select 1 union all select x + 1 from r where x < 5000000000) select count(*) from r', orders: 'select count(*) from orders', total: 'select sum(total) from orders' }, 1500);
    const [r] = await s.collect(tick());
    expect(r).toMatchObject({ ok: true, metrics: { before: 2, orders: 2, total: 12.5 } });
    expect(r!.error).toMatch(/^slow: the query: no answer within [\d.]+m?s$/);
    expect((await s.collect(tick()))[0]!.metrics).toMatchObject({ before: 2, orders: 2, total: 12.5 });
  });

  it('a wall clock that steps while a query runs (NTP, a VM resumed) neither kills it early nor lets it run on', async () => {
    const { path } = shop();
    const reader = await openSqliteReader(`sqlite:${path}`, 5000);
    // A query of a few hundred milliseconds: the reader's watchdog looks every 25 ms.
    const counted = 'with recursive r(x) as (select 1 union all select x + 1 from r where x < 1500000) select count(*) from r';
    // seqpulse's wall clock two minutes behind the reader's (a step back in seqpulse, forward in the reader).
    const wall = Date.now.bind(Date);
    const stepped = vi.spyOn(Date, 'now').mockImplementation(() => wall() - 120_000);
    try {
      expect(await reader.query(counted, 10, 5000)).toEqual([[1500000]]);
      // And the deadline still holds: a query that never ends is cut off at its timeout.
      const started = performance.now();
      await expect(reader.query('with recursive r(x) as (select 1 union all select x + 1 from r) select count(*) from r', 10, 500)).rejects.toThrow(/no answer within/);
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      stepped.mockRestore();
      await reader.close();
    }
  });

  it('closing the source leaves no reader process; nor does killing seqpulse mid-query', async () => {
    const { path } = shop();
    const s = source(path, { orders: 'select count(*) from orders' });
    await s.collect(tick());
    expect(sqliteReaders().length).toBeGreaterThan(0);
    await Promise.all(opened.splice(0).map((o) => o.close()));
    await waitFor(() => sqliteReaders().length === 0, 'the SQLite readers to exit after close()');

    // A seqpulse-like process running a forever query, then SIGKILLed: its reader must not outlive it.
    const sql = new URL('../../build/src/sources/sql.js', import.meta.url).href;
    const script = `import { createSqlSource } from ${JSON.stringify(sql)};
      const s = createSqlSource({ url: ${JSON.stringify(`sqlite:${path}`)}, queries: { slow: 'with recursive r(x) as (select 1 union all select x + 1 from r) select count(*) from r' }, timeoutMs: 600000, maxRows: 10, budget: 10 });
      s.collect({ phase: 'post', deploymentId: 'd', deadline: Date.now() + 600000 });`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    await waitFor(() => sqliteReaders().length > 0, 'the orphan-to-be reader to start');
    const [reader] = sqliteReaders();
    parent.kill('SIGKILL');
    await waitFor(() => gone(reader!), 'the reader of a killed seqpulse to exit by itself', 10_000);
  });
});
