/**
 * The shared store: Postgres through `pg`, the same schema, migrations and queries as SQLite
 * (kysely's migrator takes an advisory lock, so several runners migrating at once is safe).
 * Errors name the server with the password masked, never the full connection string.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { StoreError } from '../errors.js';
import { redactError, redactUserinfo } from '../redact.js';
import { kyselyStore } from './kysely-store.js';
import { migrate } from './migrations.js';
import type { Database } from './schema.js';
import type { SampleRow, Store } from './types.js';

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
  return kyselyStore(db, { addSampleRows: (rows) => copySamples(pool, rows) });
}

/** The samples table's columns, in the order COPY receives them. */
const SAMPLE_COLUMNS = ['id', 'run_id', 'phase', 'seq', 'endpoint', 'scheduled_at', 'taken_at', 'ok', 'http_status', 'error', 'attempts', 'latency_ms', 'metrics'] as const;
const COLUMN_LIST = SAMPLE_COLUMNS.join(', ');
/** Rows per chunk of COPY text: the import streams, so a sync of a million samples never holds them all as text. */
const COPY_CHUNK = 1000;

/**
 * Bulk import by COPY, which Postgres parses far faster than JSON or bound parameters. COPY cannot
 * skip a row already there, so it is tried straight into `samples` first (a sync pushes samples the
 * target lacks, and this is its common case); if any row is already there (a retried or concurrent
 * sync, a repeated `finish`) the whole COPY fails, nothing of it stays, and the rows go again through
 * a temporary table and INSERT ... ON CONFLICT DO NOTHING, in key order, as every sync writes them,
 * so two syncs of the same runs cannot deadlock.
 */
async function copySamples(pool: pg.Pool, rows: readonly SampleRow[]): Promise<void> {
  try {
    await inTransaction(pool, (client) => copy(client, 'samples', rows));
  } catch (err) {
    if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
    await inTransaction(pool, async (client) => {
      await client.query('create temporary table samples_import (like samples) on commit drop');
      await copy(client, 'samples_import', rows);
      await client.query(`insert into samples (${COLUMN_LIST}) select ${COLUMN_LIST} from samples_import order by run_id, phase, seq, endpoint on conflict do nothing`);
    });
  }
}

const UNIQUE_VIOLATION = '23505';

async function copy(client: pg.PoolClient, table: string, rows: readonly SampleRow[]): Promise<void> {
  await pipeline(Readable.from(copyText(rows)), client.query(copyFrom(`copy ${table} (${COLUMN_LIST}) from stdin`)));
}

async function inTransaction(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  let broken: unknown;
  try {
    await client.query('begin');
    await work(client);
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch((rollbackFailed: unknown) => (broken = rollbackFailed));
    throw err;
  } finally {
    // A connection that could not even roll back is closed, not handed back to the pool.
    client.release(broken instanceof Error ? broken : undefined);
  }
}

function* copyText(rows: readonly SampleRow[]): Generator<string> {
  for (let start = 0; start < rows.length; start += COPY_CHUNK) {
    let text = '';
    for (let i = start; i < Math.min(start + COPY_CHUNK, rows.length); i++) {
      const r = rows[i]!;
      // In SAMPLE_COLUMNS order. Written out: a map and join per row took about 4x longer to encode.
      text += `${copyValue(r.id)}\t${copyValue(r.run_id)}\t${copyValue(r.phase)}\t${r.seq}\t${copyValue(r.endpoint)}\t${copyValue(r.scheduled_at)}\t${copyValue(r.taken_at)}\t${r.ok}\t${copyValue(r.http_status)}\t${copyValue(r.error)}\t${r.attempts}\t${copyValue(r.latency_ms)}\t${copyValue(r.metrics)}\n`;
    }
    yield text;
  }
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One value in COPY's text format: `\N` for null; backslash, tab, newline and carriage return escaped. */
function copyValue(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!);
}
