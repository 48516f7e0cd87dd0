/** The read-only check every SQL metric query passes before it is sent. */
import { describe, expect, it } from 'vitest';
import { refuseUnlessRead } from '../../src/sources/sql-guard.js';

describe('refuseUnlessRead', () => {
  it.each([
    'select count(*) from orders',
    'SELECT avg(amount) FROM payments WHERE status = \'failed\';',
    "select count(*) from t where note = 'a; delete from t' -- ; drop table t\n",
    'with recent as (select * from orders where created_at > now() - interval \'5 minutes\') select count(*) from recent',
    'values (1)',
    '/* business metric */ select sum(total) from orders',
    "select count(*) from t where body = $$ ; insert $$",
    "select count(*) from t where x = E'it\\'s; drop table t'",
    'select comment, count(*) from reviews group by comment',
    '(select 1)',
    "select 1 /* outer /* nested; */ still a comment; ' */",
    'select $tag1$ ; delete $tag1$',
  ])('lets a read through: %s', (sql) => {
    expect(refuseUnlessRead(sql)).toBeUndefined();
  });

  it.each([
    ['insert into t values (1)', /starts with INSERT/],
    ['update orders set total = 0', /starts with UPDATE/],
    ['delete from orders', /starts with DELETE/],
    ['drop table orders', /starts with DROP/],
    ['create table x (a int)', /starts with CREATE/],
    ['select 1; delete from orders', /only one statement/],
    ['select 1; select 2', /only one statement/],
    ['with gone as (delete from orders returning *) select count(*) from gone', /DELETE inside the query writes/],
    ['select * into backup from orders', /SELECT \.\.\. INTO/],
    ['select * from orders for update', /FOR UPDATE/],
    ["select 'never closed", /quote is never closed/],
    ['select 1 /* open', /comment is never closed/],
    ['   ', /empty/],
    ['set statement_timeout = 0', /starts with SET/],
    ['copy orders to stdout', /starts with COPY/],
    // Postgres nests block comments: the quote is inside the comment, the statements after it are real.
    ["select 1 /* /* */ ' */ ; commit; delete from orders", /only one statement/],
    ['select 1 /* /* */', /comment is never closed/],
    ['select $a1$ x $a1$; delete from orders', /only one statement/],
  ])('refuses %s', (sql, reason) => {
    expect(refuseUnlessRead(sql)).toMatch(reason);
  });
});
