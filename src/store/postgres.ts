/**
 * The shared store: Postgres through `pg`, the same schema, migrations and queries as SQLite
 * (kysely's migrator takes an advisory lock, so several runners migrating at once is safe).
 * Errors name the server with the password masked, never the full connection string.
 *
 * Every operation ends within its deadline (store_timeout), whatever the server does. A frozen
 * server (a stalled host, a partition) still accepts TCP connections and ACKs what is sent, so
 * neither the kernel nor pg notices anything: pg's own `query_timeout` fails the query but leaves
 * the connection waiting behind it (every later query on it times out too). So the deadline here
 * destroys every socket of the pool, which fails whatever is in flight at once, and the store then
 * fails every later operation with the same error (the command is ending anyway). The server is
 * told the same deadline at start-up (statement_timeout, lock_timeout, and
 * idle_in_transaction_session_timeout so that a session whose client froze or vanished mid-transaction
 * ends and frees its locks); TCP keepalive notices a peer that is gone altogether.
 */
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { optionName } from '../config/names.js';
import { formatDuration } from '../config/duration.js';
import { KEEPALIVE_DELAY_MS, withDeadline } from '../deadline.js';
import { SeqpulseError, StoreError } from '../errors.js';
import { lookupWithin, socketWithLookup } from '../net/lookup.js';
import { guardPgSocket } from '../net/pg-wire.js';
import { redactError, redactUrl } from '../redact.js';
import { kyselyStore, RowsKeptError } from './kysely-store.js';
import { migrate, migrationRefusal } from './migrations.js';
import type { Database } from './schema.js';
import type { SampleRow, Store } from './types.js';

export interface PostgresStoreOptions {
  /** Deadline of one operation (store_timeout): connecting, a query, a transaction. */
  timeoutMs: number;
}

/** How long closing waits for the server to see the session out before the sockets are destroyed. */
const CLOSE_MS = 1_000;
/** A bulk import gets this many rows per ms on top of the deadline: it may run at 10,000 rows/s and still finish. */
const BULK_ROWS_PER_MS = 10;

export async function openPostgresStore(url: string, opts: PostgresStoreOptions): Promise<Store> {
  const shown = redactUrl(url);
  const timeoutMs = opts.timeoutMs;
  const sockets = new Set<Socket>();
  const lookup = lookupWithin(timeoutMs);
  let cut = false;
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    connectionTimeoutMillis: timeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    // Sent as start-up parameters. A lock is waited for half the deadline at most, so a lock held
    // elsewhere is reported as such (lock timeout) before the client's deadline cuts the connection.
    statement_timeout: timeoutMs,
    lock_timeout: Math.max(1, Math.floor(timeoutMs / 2)),
    idle_in_transaction_session_timeout: timeoutMs,
    // pg's own socket, kept track of so the deadline can destroy it, with a lookup that ends (net/lookup.ts).
    stream: () => {
      const socket = guardPgSocket(socketWithLookup(lookup));
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      // One made after the store was cut off (for an operation that waited for a free connection)
      // goes too. pg connects it in the same tick it asks for it, so it is destroyed once connecting.
      if (cut) process.nextTick(() => socket.destroy());
      return socket;
    },
  });
  // A client losing its connection (server restart or crash, or destroyed here) must not crash the
  // process: idle clients report it on the pool, checked-out ones on themselves; the query in
  // flight (or the next one) then fails, and that failure is what the caller sees.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  /** Every socket of the store destroyed, now and from now on. */
  const cutOff = () => {
    cut = true;
    for (const socket of sockets) socket.destroy();
  };
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let silent = false;
  try {
    await withDeadline(migrate(db), timeoutMs, () => {
      cutOff();
      silent = true;
      return new Error(`no answer within ${formatDuration(timeoutMs)}: store_timeout`);
    });
  } catch (err) {
    await closeWithin(db, cutOff);
    const refused = migrationRefusal(shown, err);
    if (refused) throw refused;
    const reason = redactError(err, url);
    // A server that never answered is not one that refused: the advice differs.
    const hint = silent
      ? 'The server accepted no query in time: check it is up and not overloaded or paused, and the network path to it; a slow link may need a longer store_timeout.'
      : 'Check the server is reachable and the user may create tables in that database.';
    throw new StoreError(`store ${shown} cannot be used (${reason})`, undefined, hint);
  }
  const store = kyselyStore(db, { addSampleRows: (rows) => copySamples(pool, rows, bulkDeadline(timeoutMs, rows.length)) });
  return bounded(store, { url, timeoutMs, cutOff, close: () => closeWithin(db, cutOff) });
}

function bulkDeadline(timeoutMs: number, rows: number): number {
  return timeoutMs + Math.ceil(rows / BULK_ROWS_PER_MS);
}

/** A goodbye to the server if it answers at once, else the sockets are destroyed: closing never waits on a frozen server. */
async function closeWithin(db: Kysely<Database>, cutOff: () => void): Promise<void> {
  await withDeadline(db.destroy(), CLOSE_MS, () => new Error('close')).catch(() => undefined);
  cutOff();
}

/**
 * Every operation of the store with its deadline, and its failures as StoreErrors naming the server
 * (masked) and the cause. Bugs (TypeError and kin) pass through unchanged.
 *
 * The first deadline that passes ends every operation still pending, at once: those on a connection
 * (their sockets are destroyed) and those waiting for one, which would otherwise get a fresh
 * connection to the same silent server and wait a deadline of their own.
 */
function bounded(store: Store, o: { url: string; timeoutMs: number; cutOff: () => void; close: () => Promise<void> }): Store {
  const shown = redactUrl(o.url);
  let silent: StoreError | undefined;
  const cut = new AbortController();
  const expire = () => {
    silent ??= new StoreError(
      `store ${shown} did not answer within ${formatDuration(o.timeoutMs)} (store_timeout)`,
      undefined,
      `The server or the network to it stopped answering: its connections were closed. Check the server; if it is only slow, raise store_timeout (${optionName('store_timeout')}, SEQPULSE_STORE_TIMEOUT).`,
    );
    o.cutOff();
    cut.abort(silent);
    return silent;
  };
  const wrapped: Record<string, unknown> = {};
  for (const [name, operation] of Object.entries(store) as [keyof Store, (...args: unknown[]) => Promise<unknown>][]) {
    wrapped[name] = async (...args: unknown[]) => {
      if (silent) throw silent;
      const ms = name === 'addSamples' || name === 'addSampleRows' ? bulkDeadline(o.timeoutMs, (args[0] as unknown[]).length) : o.timeoutMs;
      try {
        return await withDeadline(operation(...args), ms, expire, cut.signal);
      } catch (err) {
        // Whatever was in flight when another operation's deadline cut the connections fails with that deadline's error.
        if (silent) throw silent;
        // pg's own connect timeout is the same deadline (connectionTimeoutMillis), and may run out first:
        // the server did not answer, whichever timer said so.
        if (connectTimedOut(err)) throw expire();
        throw storeFailure(err, o.url);
      }
    };
  }
  wrapped.close = o.close;
  return wrapped as unknown as Store;
}

/** pg-pool's errors for a connection that was not made within connectionTimeoutMillis. */
function connectTimedOut(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return message === 'timeout exceeded when trying to connect' || message === 'Connection terminated due to connection timeout';
}

function storeFailure(err: unknown, url: string): unknown {
  if (err instanceof SeqpulseError || err instanceof RowsKeptError || err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError) return err;
  return new StoreError(`store ${redactUrl(url)} failed (${redactError(err, url)})`, err, 'Check the server is up and reachable; what was stored before is kept.');
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
async function copySamples(pool: pg.Pool, rows: readonly SampleRow[], deadlineMs: number): Promise<void> {
  try {
    await inTransaction(pool, deadlineMs, (client) => copy(client, 'samples', rows));
  } catch (err) {
    if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
    await inTransaction(pool, deadlineMs, async (client) => {
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

/** `deadlineMs`: the statement timeout inside it (a bulk import may take longer than one operation's). */
async function inTransaction(pool: pg.Pool, deadlineMs: number, work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  let broken: unknown;
  try {
    await client.query('begin');
    await client.query(`set local statement_timeout = ${Math.ceil(deadlineMs)}`);
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
