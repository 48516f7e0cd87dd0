/**
 * The sql source on a SQLite file: each query runs in a child process (sqlite-child.ts) that
 * opened the file read-only and query-only, takes one statement that SQLite itself reports as a
 * read returning rows, and stops fetching at the row cap (or answers that the rows passed
 * MAX_ANSWER_BYTES). At the timeout the child is killed (SIGKILL: SQLite cannot be interrupted
 * otherwise) and the next query starts a new one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { endedAtDeadline } from '../deadline.js';
import { sqliteChild, type ChildReply, type ChildRequest } from './sqlite-child.js';
import type { Row, SqlReader } from './sql-postgres.js';
import { AnswerTooLargeError, MAX_ANSWER_BYTES } from './sql-limits.js';
import { steadyNow } from '../sampling/clock.js';

/** Past the parent's own deadline: the child's watchdog is for when the parent is gone. */
const WATCHDOG_GRACE_MS = 1000;

export function sqlitePath(location: string): string {
  return location.replace(/^(sqlite|file):(\/\/)?/i, '');
}

export async function openSqliteReader(location: string, budgetMs: number, signal?: AbortSignal): Promise<SqlReader> {
  const driver = driverPath();
  const path = sqlitePath(location);
  let child: Child | undefined;

  const started = async (ms: number, cut: AbortSignal | undefined): Promise<Child> => {
    if (child?.alive()) return child;
    child = startChild();
    await child.ask({ kind: 'open', driver, path }, ms, 'opening the SQLite file', cut);
    return child;
  };
  // Opened once up front, so a missing file or a driver that cannot load is reported at once.
  await started(budgetMs, signal);

  return {
    async query(sql, limit, ms, cut) {
      const deadline = steadyNow() + ms;
      const c = await started(ms, cut);
      const left = deadline - steadyNow();
      const reply = await c.ask({ kind: 'query', id: 0, sql, limit, maxBytes: MAX_ANSWER_BYTES, budgetMs: left + WATCHDOG_GRACE_MS }, left, 'the query', cut);
      if (reply.tooLarge) throw new AnswerTooLargeError();
      return reply.rows ?? [];
    },
    async close() {
      child?.kill();
    },
  };
}

interface Child {
  /** `cut` (an interrupt) kills the reader, as its deadline does: a query in SQLite cannot be stopped otherwise. */
  ask(request: ChildRequest, ms: number, what: string, cut?: AbortSignal): Promise<ChildReply>;
  alive(): boolean;
  kill(): void;
}

function startChild(): Child {
  const proc: ChildProcess = spawn(process.execPath, ['-e', `(${sqliteChild.toString()})()`], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  // Never what keeps seqpulse running: a query in flight holds the loop with its deadline timer.
  proc.unref();
  proc.channel?.unref();
  (proc.stderr as { unref?: () => void } | null)?.unref?.();
  let stderr = '';
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
  let exited = false;
  let next = 1;
  const pending = new Map<number, { resolve: (r: ChildReply) => void; reject: (e: Error) => void }>();
  proc.on('message', (reply: ChildReply) => {
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (!waiter) return;
    if (reply.error !== undefined) waiter.reject(new Error(reply.error));
    else waiter.resolve(reply);
  });
  const fail = (err: Error) => {
    exited = true;
    for (const waiter of pending.values()) waiter.reject(err);
    pending.clear();
  };
  proc.on('error', fail);
  proc.on('exit', (code, signal) => fail(new Error(`the SQLite reader stopped (${signal ?? `exit ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-1)[0]}` : ''}`)));
  const kill = () => {
    if (exited) return;
    // Gone from now on, not from its exit event (which comes later, and rejects what still waits):
    // the next query of the same sample must start a fresh reader, not be sent to this dying one.
    exited = true;
    proc.kill('SIGKILL');
  };
  return {
    ask(request, ms, what, cut) {
      const id = request.kind === 'open' ? 0 : next++;
      const message: ChildRequest = request.kind === 'open' ? request : { ...request, id };
      const answer = new Promise<ChildReply>((resolve, reject) => pending.set(id, { resolve, reject }));
      if (exited) fail(new Error('the SQLite reader stopped'));
      else if (!cut?.aborted) proc.send(message, (err) => err && fail(err));
      return endedAtDeadline(answer, ms, what, kill, cut);
    },
    alive: () => !exited,
    kill,
  };
}

/** The native driver, resolved here: the child gets its path (it has no module resolution of its own). */
function driverPath(): string {
  // Named through a variable so bundlers leave the native driver out: the GitHub Action's bundle
  // must run on any runner, where this addon cannot load.
  const name = 'better-sqlite3';
  try {
    return createRequire(import.meta.url).resolve(name);
  } catch {
    throw new Error('a SQLite database needs the CLI (npx seqpulse); the GitHub Action reads business metrics from Postgres only');
  }
}

export type { Row };
