/** A fresh database on the test run's Postgres (see test/setup/postgres.ts), so test files never share tables. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export async function createTestDatabase(): Promise<string> {
  const admin = inject('pgUrl');
  const name = `seqpulse_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A login role made the way docs/sources.md tells users to make one for the sql source: CONNECT on
 * the database, USAGE on the schema, SELECT on the tables the queries read, nothing else. Roles
 * are cluster-wide, so each gets a fresh name. `databaseUrl` is an admin's (as createTestDatabase
 * and startPostgres give); returns the same database's URL as the new role.
 */
export async function createReaderRole(databaseUrl: string, tables: readonly string[], extra: readonly string[] = []): Promise<string> {
  const role = `reader_${randomBytes(5).toString('hex')}`;
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const url = new URL(databaseUrl);
  const database = url.pathname.slice(1);
  await asAdmin(databaseUrl, [
    `CREATE ROLE ${role} LOGIN PASSWORD '${password}'`,
    `GRANT CONNECT ON DATABASE ${database} TO ${role}`,
    `GRANT USAGE ON SCHEMA public TO ${role}`,
    ...tables.map((t) => `GRANT SELECT ON ${t} TO ${role}`),
    ...extra.map((sql) => sql.replaceAll('$ROLE', role)),
  ]);
  url.username = role;
  url.password = password;
  return url.toString();
}

/** Runs statements on the database, connected with an admin's URL. */
export async function asAdmin(adminUrl: string, statements: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}
