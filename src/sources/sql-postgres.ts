/**
 * The sql source on Postgres. What bounds a metric query is the server, not the text:
 * - the session is read-only with a statement timeout from its start-up options (`-c ...`, which
 *   the URL may not override), so they hold before the first query is sent;
 * - the role is checked before any query of the config is sent (sql-role.ts): one that can do
 *   more than read is refused;
 * - each query is sent with the extended query protocol (an unnamed prepared statement: the
 *   server refuses more than one command in it), inside `BEGIN READ ONLY` ... `ROLLBACK`, and the
 *   session is reset afterwards (`DISCARD ALL`), so nothing a query sets survives it;
 * - the statement is described (Parse, Bind, Describe) before it runs, and one that returns no
 *   rows (PREPARE TRANSACTION, COMMIT, LISTEN, DO, SET...) is refused without being executed;
 * - rows are capped by how many are fetched from the portal (a cursor), never by rewriting the
 *   text, and the answer by the bytes that arrive (sql-limits.ts);
 * - every step has a client-side deadline that destroys the connection when the server does not
 *   answer (a frozen server keeps its socket open), plus TCP keepalive for an idle connection.
 */
import pg from 'pg';
import Cursor from 'pg-cursor';
import { ConfigError, UnsafeRoleError } from '../errors.js';
import { redactUrl } from '../redact.js';
import { endedAtDeadline, KEEPALIVE_DELAY_MS, NoAnswerError } from '../deadline.js';
import { lookupWithin, socketWithLookup } from '../net/lookup.js';
import { guardPgSocket } from '../net/pg-wire.js';
import { READER_HINT, ROLE_CHECK } from './sql-role.js';
import { AnswerTooLargeError, MAX_ANSWER_BYTES } from './sql-limits.js';
import { steadyNow } from '../sampling/clock.js';

export type Row = unknown[];

export interface SqlReader {
  /**
   * At most `limit` rows of the query, as arrays, within `budgetMs`. `signal` (SIGINT, the phase
   * stopped) ends the wait at once with its reason, and the connection or process with it.
   */
  query(sql: string, limit: number, budgetMs: number, signal?: AbortSignal): Promise<Row[]>;
  close(): Promise<void>;
}

/** URL parameters a sql_url may carry; anything else could set the session (options=-c ..., replication...). */
const URL_PARAMETERS = new Set(['sslmode', 'ssl', 'sslcert', 'sslkey', 'sslrootcert', 'sslnegotiation', 'application_name', 'host']);

/** The URL's refused parameters, as config issues (empty when it is fine). */
export function postgresUrlIssues(url: string): string[] {
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return [`not a valid URL: ${redactUrl(url)}`];
  }
  return [...new Set(params.keys())]
    .filter((key) => !URL_PARAMETERS.has(key))
    .map((key) => `the URL parameter "${key}" is not allowed: seqpulse sets the session itself (read-only, statement timeout); allowed: ${[...URL_PARAMETERS].join(', ')}`);
}

/** The session's start-up options: set before any query, and outranking role and database settings. */
export function sessionOptions(timeoutMs: number): string {
  const ms = Math.max(1, Math.round(timeoutMs));
  return [
    'default_transaction_read_only=on',
    `statement_timeout=${ms}`,
    `lock_timeout=${ms}`,
    // A session left inside a transaction (seqpulse killed mid-query) is ended by the server.
    `idle_in_transaction_session_timeout=${Math.max(ms * 2, 10_000)}`,
  ]
    .map((o) => `-c ${o}`)
    .join(' ');
}

/**
 * A Cursor that tells, before the statement runs, whether it returns rows; and refuses COPY
 * instead of leaving the client waiting for (or choking on) copy data. pg-cursor sends Parse, Bind
 * and Describe (portal) at once, and Execute only at the first read(): the server's answer to
 * Describe, a row description or NoData, comes in between, when nothing has run yet.
 */
class ReadCursor extends Cursor<Row> {
  copied = false;
  /** true when the server described rows; false for NoData (a statement that returns none). */
  readonly returnsRows: Promise<boolean>;

  constructor(sql: string) {
    super(sql, [], { rowMode: 'array' });
    let described: (rows: boolean) => void = () => undefined;
    this.returnsRows = new Promise<boolean>((resolve, reject) => {
      described = resolve;
      // A statement the server cannot parse or bind fails here, before any row description.
      this.once('error', reject);
    });
    const submit = this.submit;
    this.submit = (connection) => {
      submit.call(this, connection);
      const rows = () => {
        connection.removeListener('noData', none);
        described(true);
      };
      const none = () => {
        connection.removeListener('rowDescription', rows);
        described(false);
      };
      connection.once('rowDescription', rows);
      connection.once('noData', none);
      this.once('error', () => {
        connection.removeListener('rowDescription', rows);
        connection.removeListener('noData', none);
      });
    };
  }

  handleCopyInResponse(connection: { sendCopyFail(message: string): void }): void {
    this.copied = true;
    connection.sendCopyFail('seqpulse sends no data');
  }
  handleCopyData(): void {
    this.copied = true;
  }
}

const NOT_A_QUERY = 'not a query: the statement returns no rows, so it was not run (a metric query is one SELECT returning a number, or (label, number) rows)';

/**
 * One metric query on an open session: one statement (extended protocol), run only if the server
 * describes it as returning rows, at most `limit` rows fetched, in a read-only transaction that is
 * rolled back, then the session reset.
 */
export async function readQuery(client: pg.Client, sql: string, limit: number, serverMs: number): Promise<Row[]> {
  await client.query(`BEGIN TRANSACTION READ ONLY; SET LOCAL statement_timeout = ${Math.max(1, Math.round(serverMs))}`);
  try {
    const cursor = client.query(new ReadCursor(sql));
    try {
      // Refused before Execute is sent: a statement that returns no rows is not a metric query, and
      // some of them act beyond the rolled-back transaction (PREPARE TRANSACTION leaves a prepared
      // transaction behind; LISTEN, COMMIT, DO...). So it never runs.
      if (!(await cursor.returnsRows)) throw new Error(NOT_A_QUERY);
      const rows = await cursor.read(limit);
      if (cursor.copied) throw new Error('COPY is not a metric query');
      return rows;
    } finally {
      await cursor.close().catch(() => undefined);
    }
  } finally {
    // Whatever the statement set (SET, set_config, SET ROLE, a session advisory lock, PREPARE...)
    // ends here: the transaction is rolled back, and the session reset to its start-up settings.
    await client.query('ROLLBACK');
    await client.query('DISCARD ALL');
  }
}

export async function openPostgresReader(url: string, timeoutMs: number, budgetMs: number, signal?: AbortSignal): Promise<SqlReader> {
  const issues = postgresUrlIssues(url);
  if (issues.length > 0) throw new ConfigError(issues.map((reason) => ({ source: 'settings', key: 'sql_url', reason })));
  const client = new pg.Client({
    connectionString: url,
    options: sessionOptions(timeoutMs),
    // pg's own connect timer, as a backstop behind ours (which names what did not answer).
    connectionTimeoutMillis: Math.max(1, budgetMs) + 1000,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    application_name: 'seqpulse',
    // A host name looked up by a lookup that ends (net/lookup.ts), not by getaddrinfo.
    stream: () => guardPgSocket(socketWithLookup(lookupWithin(budgetMs))),
  });
  client.on('error', () => undefined);
  let lost = false;
  const socket = () => (client as unknown as { connection?: { stream?: { destroy(): void; on(event: 'data', listener: (chunk: Buffer) => void): void } } }).connection?.stream;
  // The only way to stop waiting on a server that never answers: the socket goes, the session with it.
  const destroy = () => {
    lost = true;
    socket()?.destroy();
  };
  // An interrupt does not wait for the server: the session goes (its statement_timeout ends what it ran).
  const step = <T>(work: Promise<T>, ms: number, what: string, cut?: AbortSignal) => endedAtDeadline(work, ms, what, destroy, cut);

  const started = steadyNow();
  try {
    await step(client.connect(), budgetMs, 'connecting to the database', signal);
    const { rows } = await step(client.query<[string, string]>({ text: ROLE_CHECK, rowMode: 'array' }), budgetMs - (steadyNow() - started), 'checking the role', signal);
    if (rows.length > 0) {
      const what = rows.slice(0, 8).map(([who, can]) => `${who} ${can}`);
      throw new UnsafeRoleError(
        `sql_url: the database role can do more than read, so no query is sent with it: ${what.join('; ')}${rows.length > 8 ? `; and ${rows.length - 8} more` : ''}`,
        READER_HINT,
      );
    }
  } catch (err) {
    destroy();
    throw err;
  }

  // A query's answer, counted as it arrives: pg holds a whole row in memory before it hands it
  // over, however large, so past MAX_ANSWER_BYTES the connection goes (the next query opens
  // another) and the query fails at once (its cleanup waits on a socket that is gone).
  let received = 0;
  let tooLarge: (() => void) | undefined;
  socket()?.on('data', (chunk) => {
    if (!tooLarge) return;
    received += chunk.length;
    if (received > MAX_ANSWER_BYTES) {
      const fail = tooLarge;
      tooLarge = undefined;
      destroy();
      fail();
    }
  });

  return {
    async query(sql, limit, ms, cut) {
      if (lost) throw new Error('the connection to the database was lost');
      // The server cancels first, with its own message; the client-side deadline is for a server that cannot.
      const serverMs = Math.max(1, Math.round(ms - Math.min(250, ms / 5)));
      received = 0;
      const tooLargeCut = new Promise<never>((_, reject) => (tooLarge = () => reject(new AnswerTooLargeError())));
      const work = readQuery(client, sql, limit, serverMs);
      work.catch(() => undefined);
      return step(Promise.race([work, tooLargeCut]), ms, 'the query', cut)
        .catch((err: unknown) => {
          // Another query's deadline gave the connection up while this one waited behind it.
          if (lost && !cut?.aborted && !(err instanceof NoAnswerError || err instanceof AnswerTooLargeError)) throw new Error('the database did not answer: the connection was closed after a query got no answer');
          throw err;
        })
        .finally(() => {
          tooLarge = undefined;
        });
    },
    async close() {
      if (lost) return;
      await step(client.end(), 2000, 'closing the connection').catch(() => undefined);
    },
  };
}
