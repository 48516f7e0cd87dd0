/**
 * Business metrics from a database (`source: sql`): one query per metric per tick, against
 * Postgres (ideally a read replica) or a SQLite file. What keeps a query to one bounded read is the
 * database, not this module (sql-postgres.ts, sql-sqlite.ts). Here:
 * - an early, friendly refusal of text that is plainly not a read (sql-guard.ts), before the run;
 * - a per-run query budget: past it, queries are refused instead of sent;
 * - caps on what an answer may hold and a sample keep (sql-limits.ts);
 * - every query within the per-request timeout; a database that does not answer fails the rest
 *   of the sample at once, and the next sample connects again.
 *
 * A query returns one row of one column (the metric's value), or rows of (label, value), which
 * become metrics `<name>.<label>` (e.g. payments by status).
 */
import { ConfigError, CredentialsError } from '../errors.js';
import { redactUrl, redactUserinfo } from '../redact.js';
import { NoAnswerError } from '../deadline.js';
import { metricsRecord } from './metrics-record.js';
import { refusedQueries } from './sql-guard.js';
import { openPostgresReader, postgresUrlIssues, type Row, type SqlReader } from './sql-postgres.js';
import { openSqliteReader } from './sql-sqlite.js';
import { AnswerTooLargeError, MAX_LABEL_CHARS, MAX_SAMPLE_CHARS, MAX_TEXT_CHARS } from './sql-limits.js';
import type { CollectRequest, EndpointResult, MetricSource } from './types.js';
import { steadyNow } from '../sampling/clock.js';

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

export function isPostgresSqlUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export function createSqlSource(opts: SqlSourceOptions): MetricSource {
  const refused = refusedQueries(opts.queries);
  if (refused.length > 0) throw new ConfigError(refused, READ_HINT);
  const postgres = isPostgresSqlUrl(opts.url);
  if (postgres) {
    const issues = postgresUrlIssues(opts.url);
    if (issues.length > 0) throw new ConfigError(issues.map((reason) => ({ source: 'settings', key: 'sql_url', reason })));
  }

  const shown = redactUrl(opts.url);
  let db: Promise<SqlReader> | undefined;
  let sent = 0;
  const open = (budgetMs: number, signal: AbortSignal | undefined) => (postgres ? openPostgresReader(opts.url, opts.timeoutMs, budgetMs, signal) : openSqliteReader(opts.url, budgetMs, signal));
  const forget = () => {
    const stale = db;
    db = undefined;
    void stale?.then((r) => r.close()).catch(() => undefined);
  };

  return {
    async collect(req: CollectRequest): Promise<EndpointResult[]> {
      const metrics = metricsRecord();
      const errors: string[] = [];
      let unreachable: string | undefined;
      let kept = 0;
      for (const [name, query] of Object.entries(opts.queries)) {
        if (req.signal?.aborted) break;
        if (unreachable) {
          errors.push(`${name}: not sent, ${unreachable}`);
          continue;
        }
        if (sent >= opts.budget) {
          errors.push(`${name}: not sent, the run's query budget (sql_budget ${opts.budget}) is spent`);
          continue;
        }
        sent++;
        const budget = Math.max(1, Math.min(opts.timeoutMs, req.deadline - steadyNow()));
        const started = steadyNow();
        try {
          db ??= open(budget, req.signal);
          const reader = await db;
          const rows = await reader.query(query.trim().replace(/;\s*$/, ''), opts.maxRows + 1, Math.max(1, budget - (steadyNow() - started)), req.signal);
          const values = valuesOf(name, rows, opts.maxRows);
          const size = sizeOfValues(values);
          if (kept + size > MAX_SAMPLE_CHARS) throw new Error(`its answer would take the sample past ${MAX_SAMPLE_CHARS / 1024 / 1024} MiB of metric names and values; return fewer or shorter rows`);
          kept += size;
          Object.assign(metrics, values);
        } catch (err) {
          // A refused role or URL stops the run (before the deploy), like a rejected key.
          if (err instanceof ConfigError || err instanceof CredentialsError) throw err;
          // Interrupted (SIGINT, the phase stopped): the query was given up with its connection or
          // reader, not waited out to its timeout; the next sample, if any, opens another.
          if (req.signal?.aborted) {
            forget();
            errors.push(`${name}: interrupted`);
            break;
          }
          const message = redactUserinfo(err instanceof Error ? err.message : String(err));
          errors.push(`${name}: ${message}`);
          // An answer too large cost its connection (the next query opens another); a server that
          // did not answer, or a lost connection, the rest of the sample too: opened again at the next
          // sample. (A SQLite query cut off at the timeout only cost its own process: the next query starts another.)
          if (postgres && err instanceof AnswerTooLargeError) forget();
          else if (postgres && (err instanceof NoAnswerError || isConnectionError(err))) {
            forget();
            unreachable = `the database did not answer this sample (${message})`;
          }
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

/** One row of one column -> the value; rows of (label, value) -> `<name>.<label>` each. Labels and text values are capped (sql-limits.ts). */
function valuesOf(name: string, rows: Row[], maxRows: number): Record<string, unknown> {
  if (rows.length > maxRows) throw new Error(`returned more than ${maxRows} rows (sql_max_rows); aggregate in the query (count, sum, avg...)`);
  const values = metricsRecord();
  if (rows.length === 0) return values; // no row: no data, never 0
  const width = rows[0]!.length;
  if (width === 1) {
    if (rows.length > 1) throw new Error(`returned ${rows.length} rows of one column; return one row, or (label, value) rows`);
    put(values, name, rows[0]![0]);
    return values;
  }
  if (width === 2) {
    for (const [label, value] of rows) {
      const text = String(label);
      if (text.length > MAX_LABEL_CHARS) throw new Error(`returned a label of ${text.length} characters; labels become metric names, at most ${MAX_LABEL_CHARS} characters`);
      put(values, `${name}.${text}`, value);
    }
    return values;
  }
  throw new Error(`returned ${width} columns; return one value, or (label, value) rows`);
}

/**
 * Drivers return bigint and numeric as text; a NULL is no data (the key stays out). Anything else
 * that is not a number is kept as it came (not judged, shown in a report), up to MAX_TEXT_CHARS.
 */
function put(values: Record<string, unknown>, key: string, value: unknown): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) values[key] = Number(value);
  else if (typeof value === 'bigint') values[key] = Number(value);
  else {
    const size = sizeOf(value);
    if (size > MAX_TEXT_CHARS) throw new Error(`returned a value of ${size} ${typeof value === 'string' ? 'characters' : 'bytes'} for ${key}, not a number (at most ${MAX_TEXT_CHARS} are kept)`);
    values[key] = value;
  }
}

/** What a value takes in a stored sample: characters of text, bytes of binary, JSON characters of anything else. */
function sizeOf(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (typeof value !== 'object') return 8;
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return 0;
  }
}

function sizeOfValues(values: Record<string, unknown>): number {
  let size = 0;
  for (const key in values) size += key.length + sizeOf(values[key]);
  return size;
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || /terminated|not queryable|closed|was lost|reader stopped/i.test(err instanceof Error ? err.message : '');
}
