/**
 * The process a SQLite metric query runs in. SQLite cannot be interrupted from JavaScript (the
 * driver exposes neither sqlite3_interrupt nor a progress handler), and a worker thread stuck in a
 * native query cannot be stopped either: it even holds up the exit of the whole process. A process
 * can always be killed, so each query runs here, and the parent kills this process at the timeout.
 *
 * `sqliteChild` is sent to `node -e` as source text (Function.prototype.toString), so it must be
 * self-contained: no imports, no outer names, only `require` and Node's globals.
 */

/** Parent -> child. */
export type ChildRequest = { kind: 'open'; driver: string; path: string } | { kind: 'query'; id: number; sql: string; limit: number; maxBytes: number; budgetMs: number };
/** Child -> parent: `id` 0 answers `open`; `tooLarge` when the rows passed `maxBytes` (none are sent). */
export type ChildReply = { id: number; rows?: unknown[][]; error?: string; tooLarge?: true };

/* eslint-disable @typescript-eslint/no-require-imports -- this body runs as a CommonJS script (node -e) */
export function sqliteChild(): void {
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  // A watchdog on its own thread: it runs while the main thread is stuck in a native query, and
  // kills this process past the query's deadline, or as soon as the parent is gone (so nothing is
  // left running when seqpulse itself was killed). The deadline is on the monotonic clock both
  // threads share (process.hrtime), set from the budget the parent gives: a wall clock that steps
  // (NTP, a VM resumed) neither kills a query early nor lets one run on.
  const shared = new Float64Array(new SharedArrayBuffer(8));
  const watchdog = new Worker(
    `const { workerData } = require('node:worker_threads');
     const deadline = new Float64Array(workerData.buffer);
     setInterval(() => {
       const now = Number(process.hrtime.bigint() / 1000000n);
       if (process.ppid !== workerData.parent || (deadline[0] > 0 && now > deadline[0])) process.kill(process.pid, 'SIGKILL');
     }, 25);`,
    { eval: true, workerData: { buffer: shared.buffer, parent: process.ppid } },
  );
  watchdog.unref();

  type Statement = { reader: boolean; readonly: boolean; raw(on: boolean): { iterate(): IterableIterator<unknown[]> } };
  type Db = { prepare(sql: string): Statement; pragma(sql: string): unknown; close(): void };
  let open: (() => Db) | undefined;
  const reply = (message: ChildReply) => process.send?.(message);
  const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: ChildRequest) => {
    if (message.kind === 'open') {
      try {
        const Driver = require(message.driver) as new (path: string, options: object) => Db;
        // Read-only at the OS level (the file descriptor) and in SQLite (query_only covers every
        // database of the connection); a missing file is an error, never a new database. A new
        // connection for every query: SQLite applies some pragmas while it prepares a statement
        // (`PRAGMA query_only = 0` takes effect even if the statement is never run), so no
        // connection outlives the query that may have changed it.
        open = () => {
          const db = new Driver(message.path, { readonly: true, fileMustExist: true });
          db.pragma('query_only = ON');
          return db;
        };
        open().close();
        reply({ id: 0 });
      } catch (err) {
        reply({ id: 0, error: describe(err) });
      }
      return;
    }
    const { id, sql, limit, maxBytes, budgetMs } = message;
    shared[0] = Number(process.hrtime.bigint() / 1000000n) + budgetMs;
    let db: Db | undefined;
    try {
      db = open!();
      // prepare() takes one statement only. SQLite itself says what the statement does: it must
      // return rows (ATTACH, PRAGMA x = y, VACUUM return none) and change no file (VACUUM INTO...).
      const statement = db.prepare(sql);
      if (!statement.reader) throw new Error('not a query: the statement returns no rows (only SELECT ... reads are run)');
      if (!statement.readonly) throw new Error('not read-only: SQLite reports this statement would write');
      const rows: unknown[][] = [];
      // Counted before anything is sent: a 300 MB blob or text stays in this process, which
      // answers that it was too large instead.
      let bytes = 0;
      for (const row of statement.raw(true).iterate()) {
        for (const cell of row) bytes += typeof cell === 'string' ? cell.length : ArrayBuffer.isView(cell) ? cell.byteLength : 8;
        if (bytes > maxBytes) {
          reply({ id, tooLarge: true });
          return;
        }
        rows.push(row);
        if (rows.length >= limit) break;
      }
      reply({ id, rows });
    } catch (err) {
      reply({ id, error: describe(err) });
    } finally {
      db?.close();
      shared[0] = 0;
    }
  });
}
/* eslint-enable @typescript-eslint/no-require-imports */
