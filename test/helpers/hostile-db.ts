/**
 * A database to attack through the sql source, and the effects an attack would leave: rows of
 * `payments` changed, writes a trigger recorded in `writes_log`, files in a marker folder the
 * server could write to (COPY ... TO, lo_export, COPY ... TO PROGRAM), a session setting changed.
 */
import { chmodSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { asAdmin, createReaderRole, createTestDatabase } from './postgres.js';

export interface HostileDb {
  admin: string;
  /** The reader role docs/sources.md tells users to create. */
  reader: string;
  /** A folder the database server's OS user may write to: any file in it is an attack that worked. */
  markers: string;
  /** What an attack could have changed; equal to the state before it when nothing happened. */
  effects(): Promise<{ payments: string; writes: number; files: string[] }>;
}

export async function hostileDb(): Promise<HostileDb> {
  const admin = await createTestDatabase();
  const markers = mkdtempSync(join(tmpdir(), 'seqpulse-markers-'));
  chmodSync(markers, 0o777);
  await asAdmin(admin, [
    `create table payments (id serial primary key, status text not null, amount numeric not null)`,
    `insert into payments (status, amount) values ('ok', 10), ('ok', 12.5), ('failed', 3)`,
    `create table writes_log (op text, at timestamptz default now())`,
    `create function log_write() returns trigger language plpgsql as $$ begin insert into writes_log (op) values (tg_op); return null; end $$`,
    `create trigger logged after insert or update or delete or truncate on payments for each statement execute function log_write()`,
    `create sequence ticket`,
    // A procedure anyone may call that would commit and write if a caller's transaction let it.
    `create procedure sneaky() language plpgsql as $$ begin commit; set transaction read write; insert into payments (status, amount) values ('stolen', 1); commit; end $$`,
  ]);
  const reader = await createReaderRole(admin, ['payments', 'ticket', 'writes_log']);
  return {
    admin,
    reader,
    markers,
    async effects() {
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        const payments = (await client.query<{ s: string }>(`select string_agg(id || ':' || status || ':' || amount, ',' order by id) as s from payments`)).rows[0]!.s;
        const writes = (await client.query<{ n: number }>('select count(*)::int as n from writes_log')).rows[0]!.n;
        return { payments, writes, files: readdirSync(markers) };
      } finally {
        await client.end();
      }
    },
  };
}

/** The session settings a query must not be able to change. */
export const SESSION_PROBE = "select current_setting('default_transaction_read_only') || ' ' || current_setting('statement_timeout') || ' ' || current_user";
