/**
 * Business metrics from a database (`source: sql`): one query per metric per tick, against
 * Postgres (ideally a read replica) or a SQLite file. Guardrails, all enforced here:
 * - every query is checked to be a single read before anything is sent (sql-guard.ts);
 * - Postgres: a connection whose transactions are read-only by default, each query in its own
 *   READ ONLY transaction with `statement_timeout`; SQLite: a read-only connection, and only
 *   statements SQLite itself reports as read-only;
 * - a row cap (the query is wrapped in `LIMIT max_rows + 1`, so a runaway result is never fetched);
 * - a per-run query budget: past it, queries are refused instead of sent.
 *
 * A query returns one row of one column (the metric's value), or rows of (label, value), which
 * become metrics `<name>.<label>` (e.g. payments by status).
 */
import pg from 'pg';
import { ConfigError } from '../errors.js';
import { redactUserinfo } from '../redact.js';
import { refusedQueries } from './sql-guard.js';
import type { CollectRequest, EndpointResult, MetricSource } from './types.js';

export interface SqlSourceOptions {
  /** postgres://... or a SQLite path (optionally `sqlite:` / `file:` prefixed). */
  url: string;
  queries: Record<string, string>;
  timeoutMs: number;
  maxRows: number;
  /** Queries the whole run may send. */
  budget: number;
}

export const READ_HINT = 'A metric query is one SELECT returning a number, or (label, number) rows.';

type Row = unknown[];

interface Database {
  /** Rows as arrays, at most `limit` of them. */
  query(sql: string, limit: number, timeoutMs: number): Promise<Row[]>;
  close(): Promise<void>;
}

export function createSqlSource(opts: SqlSourceOptions): MetricSource {
  const refused = refusedQueries(opts.queries);
  if (refused.length > 0) throw new ConfigError(refused, READ_HINT);

  const shown = redactUserinfo(opts.url);
  const postgres = /^postgres(ql)?:\/\//i.test(opts.url);
  let db: Promise<Database> | undefined;
  let sent = 0;

  return {
    async collect(req: CollectRequest): Promise<EndpointResult[]> {
      const metrics: Record<string, unknown> = {};
      const errors: string[] = [];
      for (const [name, query] of Object.entries(opts.queries)) {
        if (req.signal?.aborted) break;
        if (sent >= opts.budget) {
          errors.push(`${name}: not sent, the run's query budget (sql_budget ${opts.budget}) is spent`);
          continue;
        }
        sent++;
        try {
          db ??= postgres ? openPostgres(opts.url) : openSqlite(opts.url);
          const timeout = Math.max(1, Math.min(opts.timeoutMs, req.deadline - Date.now()));
          const rows = await (await db).query(query.trim().replace(/;\s*$/, ''), opts.maxRows + 1, timeout);
          Object.assign(metrics, valuesOf(name, rows, opts.maxRows));
        } catch (err) {
          errors.push(`${name}: ${redactUserinfo(err instanceof Error ? err.message : String(err))}`);
          // A lost connection is opened again on the next query.
          if (postgres && isConnectionError(err)) db = undefined;
        }
      }
      const ok = Object.keys(metrics).length > 0;
      return [{ endpoint: shown, ok, ...(ok ? { metrics } : {}), ...(errors.length > 0 ? { error: errors.join('; ') } : {}), attempts: 1, taken_at: new Date().toISOString() }];
    },
    async close() {
      await (await db?.catch(() => undefined))?.close();
    },
  };
}

/** One row of one column -> the value; rows of (label, value) -> `<name>.<label>` each. */
function valuesOf(name: string, rows: Row[], maxRows: number): Record<string, unknown> {
  if (rows.length > maxRows) throw new Error(`returned more than ${maxRows} rows (sql_max_rows); aggregate in the query (count, sum, avg...)`);
  if (rows.length === 0) return {}; // no row: no data, never 0
  const width = rows[0]!.length;
  if (width === 1) {
    if (rows.length > 1) throw new Error(`returned ${rows.length} rows of one column; return one row, or (label, value) rows`);
    return present({ [name]: numeric(rows[0]![0]) });
  }
  if (width === 2) return present(Object.fromEntries(rows.map(([label, value]) => [`${name}.${String(label)}`, numeric(value)])));
  throw new Error(`returned ${width} columns; return one value, or (label, value) rows`);
}

function present(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

/** Drivers return bigint and numeric as text; a NULL is no data (the key stays out). */
function numeric(value: unknown): unknown {
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (typeof value === 'bigint') return Number(value);
  return value === null ? undefined : value;
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || /terminated|not queryable|closed/i.test(err instanceof Error ? err.message : '');
}

async function openPostgres(url: string): Promise<Database> {
  // Read-only by default at the session level too, so even a statement the guard missed cannot write.
  const client = new pg.Client({ connectionString: url, options: '-c default_transaction_read_only=on', connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  return {
    async query(sql, limit, timeoutMs) {
      await client.query('BEGIN TRANSACTION READ ONLY');
      try {
        await client.query(`SET LOCAL statement_timeout = ${Math.round(timeoutMs)}`);
        const result = await client.query({ text: `SELECT * FROM (${sql}) AS seqpulse_metric LIMIT ${limit}`, rowMode: 'array' });
        return result.rows as Row[];
      } finally {
        await client.query('ROLLBACK').catch(() => undefined);
      }
    },
    close: () => client.end(),
  };
}

async function openSqlite(location: string): Promise<Database> {
  const path = location.replace(/^(sqlite|file):(\/\/)?/i, '');
  // Named through a variable so bundlers leave the native driver out: the GitHub Action's bundle
  // must run on any runner, where this addon cannot load.
  const driver = 'better-sqlite3';
  const loaded = (await import(driver).catch(() => undefined)) as { default: typeof import('better-sqlite3') } | undefined;
  if (!loaded) throw new Error('a SQLite database needs the CLI (npx seqpulse); the GitHub Action reads business metrics from Postgres only');
  const db = new loaded.default(path, { readonly: true, fileMustExist: true });
  return {
    // SQLite has no statement timeout; the read-only connection and the row cap are its guardrails.
    async query(sql, limit) {
      const statement = db.prepare(`SELECT * FROM (${sql}) AS seqpulse_metric LIMIT ${limit}`);
      if (!statement.readonly) throw new Error('SQLite reports this statement is not read-only');
      return statement.raw(true).all() as Row[];
    },
    async close() {
      db.close();
    },
  };
}
