/**
 * Two `finish` of the same run at once (a retried CI job while the first still runs, two pipelines
 * given the same id). Both read the run `started`; the claim that makes it `observing` was
 * unconditional, so both observed the whole window, asking the app everything twice, each storing
 * the ticks it wrote first, and both exited with a verdict. Now the claim is conditional: one
 * observes, the other says another finish is observing it (exit 2), as when they do not overlap.
 */
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { closeAfterEach, fastFlags, runCli, startCli, tempDir } from '../helpers/cli.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';
import { waitFor } from '../helpers/wait-for.js';

const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
const track = closeAfterEach();

describe('two finish of the same run at once', () => {
  it('both having read it `started` (held at their first write by a lock): one observes and gives the verdict, the other exits 2 without asking the app anything', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    const store = join(cwd, 'seqpulse.db');
    const start = await runCli(['start', ...fastFlags(app.url), '--store', store, '--json'], { cwd, env });
    expect(start.code, start.stderr).toBe(0);
    const id = JSON.parse(start.stdout).deployment_id as string;

    // Another process's write transaction: both finishes read the run, and wait at their first write.
    const lock = new BetterSqlite3(store);
    lock.exec('begin immediate');
    let locked = true;
    try {
      const finishes = [0, 1].map(() => startCli(['finish', id, '--endpoint', app.url, '--store', store, '--json'], { cwd, env }));
      // Each says which settings it uses once it has read the run (and seen it `started`).
      await waitFor(() => finishes.every((f) => /finish uses the settings `start` stored/.test(f.output.stderr)), 'both finishes to have read the run');
      lock.exec('commit');
      locked = false;
      const [a, b] = await Promise.all(finishes.map((f) => f.done));
      const codes = [a!.code, b!.code].sort();
      expect(codes, `${a!.stderr}\n---\n${b!.stderr}`).toEqual([0, 2]);
      const loser = a!.code === 2 ? a! : b!;
      expect(loser.stderr).toContain(`run ${id} has no verdict yet: it is observing, so it cannot be finished`);
      expect(loser.stderr).not.toMatch(/POST sample/);
      // One window's worth of POST requests, not two.
      const post = app.requests.filter((q) => q.phase === 'post').length;
      expect(post).toBeLessThanOrEqual(11);
    } finally {
      if (locked) lock.exec('commit');
      lock.close();
    }
  });
});
