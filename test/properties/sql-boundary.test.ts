/**
 * Property: whatever text a metric query is, Postgres runs at most one read of it. Generated texts
 * start with a SELECT and go on with the pieces a lexer gets wrong (nested comments, quotes, dollar
 * quotes, E'' strings, quoted names, stray quote and comment marks) and semicolons followed by
 * statements that would leave a trace if they ran: a file written by COPY (as a superuser, who
 * may), a write recorded by a trigger, a session setting changed, a sleep past the timeout.
 *
 * Two layers are tried on their own: the query runner alone on a superuser's session (the
 * protocol's one-statement rule and the rolled-back read-only transaction are all that stands),
 * and the whole reader as the role docs/sources.md describes.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refuseUnlessRead } from '../../src/sources/sql-guard.js';
import { openPostgresReader, readQuery, sessionOptions, type SqlReader } from '../../src/sources/sql-postgres.js';
import { hostileDb, SESSION_PROBE, type HostileDb } from '../helpers/hostile-db.js';

const TIMEOUT_MS = 1000;
const RUNS = 120;

/** Statements that must never run: each leaves a trace the effects check sees. */
const payloads = (markers: string) => [
  `copy (select 1) to '${join(markers, 'copy')}'`,
  `copy (select 1) to program 'touch ${join(markers, 'program')}'`,
  'delete from payments',
  "insert into payments (status, amount) values ('stolen', 1)",
  'truncate payments',
  'commit',
  'begin read write',
  'set statement_timeout = 0',
  'set default_transaction_read_only = off',
  "select set_config('statement_timeout', '0', false)",
  'select pg_sleep(30)',
  'call sneaky()',
];

function queryText(markers: string): fc.Arbitrary<string> {
  // What a lexer trips on, as content of literals and comments.
  const word = fc.constantFrom('a', ';', '*/', '/*', "'", "''", '$$', '$x$', '"', '\\', '--', '\n', ' ', 'select', 'E', ...payloads(markers).slice(0, 3));
  const inner = fc.array(word, { maxLength: 6 }).map((w) => w.join(''));
  const { comment } = fc.letrec<{ comment: string }>((tie) => ({
    comment: fc.oneof(
      { depthSize: 'small' },
      inner.map((t) => `/* ${t.replaceAll('*/', '* /').replaceAll('/*', '/ *')} */`),
      fc.tuple(inner, tie('comment'), inner).map(([a, nested, b]) => `/* ${a.replaceAll('*/', '').replaceAll('/*', '')} ${nested} ${b.replaceAll('*/', '').replaceAll('/*', '')} */`),
      inner.map((t) => `-- ${t.replaceAll('\n', ' ')}\n`),
    ),
  }));
  const gap = fc.array(comment, { maxLength: 2 }).map((c) => ` ${c.join(' ')} `);
  // Well-formed values with tricky insides: each text is valid SQL, so a second statement would run if anything let it.
  const value = fc.oneof(
    fc.constant('1'),
    inner.map((t) => `'${t.replaceAll("'", "''")}'`),
    inner.map((t) => `E'${t.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`),
    inner.map((t) => `$q$${t.replaceAll('$q$', '')}$q$`),
    inner.map((t) => `$$${t.replaceAll('$', '')}$$`),
    inner.map((t) => `1 as "${t.replaceAll('"', '""')}"`),
  );
  const payload = fc.constantFrom(...payloads(markers));
  const statements = fc
    .tuple(gap, value, gap, fc.array(fc.tuple(gap, payload, gap), { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([g1, v, g2, rest, trailing]) => `select${g1}${v}${g2}${rest.map(([a, p, b]) => `;${a}${p}${b}`).join('')}${trailing ? ';' : ''}`);
  // And soup: the same pieces in any order, stray marks included (mostly syntax errors, some not).
  const soup = fc.array(fc.oneof(comment, value, word, fc.constant(';'), payload), { minLength: 1, maxLength: 12 }).map((pieces) => `select 1 ${pieces.join(' ')}`);
  return fc.oneof(statements, statements, soup);
}

let db: HostileDb;
let before: Awaited<ReturnType<HostileDb['effects']>>;
beforeAll(async () => {
  db = await hostileDb();
  before = await db.effects();
});

describe('any query text runs as at most one read', () => {
  it('on a superuser session, through the query runner alone: nothing but the first statement, and it cannot write', async () => {
    const client = new pg.Client({ connectionString: db.admin, options: sessionOptions(TIMEOUT_MS) });
    await client.connect();
    try {
      const session = (await readQuery(client, SESSION_PROBE, 2, TIMEOUT_MS))[0]![0];
      await fc.assert(
        fc.asyncProperty(queryText(db.markers), async (sql) => {
          const started = Date.now();
          await readQuery(client, sql, 10, TIMEOUT_MS).catch(() => undefined);
          expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1000);
          expect((await readQuery(client, SESSION_PROBE, 2, TIMEOUT_MS))[0]![0]).toBe(session);
          expect(await db.effects()).toEqual(before);
        }),
        { numRuns: RUNS },
      );
    } finally {
      await client.end();
    }
  }, 120_000);

  let reader: SqlReader;
  afterAll(async () => reader?.close());
  it('as the reader role, through the whole Postgres reader; the early check never lets several statements by', async () => {
    reader = await openPostgresReader(db.reader, TIMEOUT_MS, 5000);
    const session = (await reader.query(SESSION_PROBE, 2, TIMEOUT_MS))[0]![0];
    await fc.assert(
      fc.asyncProperty(queryText(db.markers), async (sql) => {
        const started = Date.now();
        const error = await reader.query(sql, 10, TIMEOUT_MS).then(() => '', (err: unknown) => String(err));
        // Postgres saw several commands: the friendly check must have said so too (it lexes as Postgres does).
        if (/multiple commands/.test(error)) expect(refuseUnlessRead(sql)).toMatch(/only one statement/);
        expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1000);
        expect((await reader.query(SESSION_PROBE, 2, TIMEOUT_MS))[0]![0]).toBe(session);
        expect(await db.effects()).toEqual(before);
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});
