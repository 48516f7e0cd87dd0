/**
 * The shared store: Postgres through `pg`, the same schema, migrations and queries as SQLite
 * (kysely's migrator takes an advisory lock, so several runners migrating at once is safe).
 * Errors name the server with the password masked, never the full connection string.
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { StoreError } from '../errors.js';
import { redactError, redactUserinfo } from '../redact.js';
import { kyselyStore } from './kysely-store.js';
import { migrate } from './migrations.js';
import type { Database, SamplesTable } from './schema.js';
import type { Store } from './types.js';

export async function openPostgresStore(url: string): Promise<Store> {
  const shown = redactUserinfo(url);
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000 });
  // A client losing its connection (server restart or crash) must not crash the process: idle
  // clients report it on the pool, checked-out ones on themselves; the query in flight (or the next
  // one) then fails, and that failure is what the caller sees.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    const reason = redactError(err, url);
    throw new StoreError(`store ${shown} cannot be used (${reason})`, undefined, 'Check the server is reachable and the user may create tables in that database.');
  }
  return kyselyStore(db, { insertSamples });
}

const SAMPLE_COLUMNS = ['id', 'run_id', 'phase', 'seq', 'endpoint', 'scheduled_at', 'taken_at', 'ok', 'http_status', 'error', 'attempts', 'latency_ms', 'metrics'] as const;
const SAMPLE_TYPES: Record<(typeof SAMPLE_COLUMNS)[number], string> = {
  id: 'text', run_id: 'text', phase: 'text', seq: 'integer', endpoint: 'text', scheduled_at: 'text', taken_at: 'text',
  ok: 'integer', http_status: 'integer', error: 'text', attempts: 'integer', latency_ms: 'double precision', metrics: 'text',
};
const RECORD = sql.raw(SAMPLE_COLUMNS.map((c) => `${c} ${SAMPLE_TYPES[c]}`).join(', '));

/**
 * The rows go as one JSON document, spread back into rows by `json_to_recordset`: one parameter
 * instead of 13 per row, encoded by the native JSON.stringify and decoded by Postgres in C. This
 * is what makes a sync of hundreds of thousands of samples fast.
 */
async function insertSamples(trx: Kysely<Database>, rows: SamplesTable[]): Promise<void> {
  const columns = sql.join(SAMPLE_COLUMNS.map((c) => sql.ref(c)));
  await sql`insert into samples (${columns}) select ${columns} from json_to_recordset(${JSON.stringify(rows)}::json) as x(${RECORD}) on conflict do nothing`.execute(trx);
}
