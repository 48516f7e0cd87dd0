/**
 * The SQLite store deleted or replaced under a command that is writing it (a cleanup step, a CI
 * cache restored over it, another tool's `mv`). SQLite goes on writing to the file it has open,
 * which nobody reads again: `run` and `finish` printed their verdict and exited 0 with the run, its
 * samples and its verdict gone. Now the next write fails: exit 3, the deploy went ahead, and the
 * file now at the path is left as it is.
 */
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeAfterEach, fastFlags, runCli, tempDir } from '../helpers/cli.js';
import { storeWithFinishedRuns } from '../helpers/records.js';
import { actAtPostRequest, startTestApp, TEST_SECRET } from '../helpers/test-app.js';
import { openStore } from '../../src/store/open.js';

const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
const track = closeAfterEach();

describe('a store deleted or replaced while a command writes it', () => {
  it('run: the store deleted mid-window is exit 3 saying so, not a verdict that was never kept', async () => {
    const cwd = tempDir();
    const store = join(cwd, 'seqpulse.db');
    // Deleted by the app as it answers the second POST request: before that answer is stored, whatever the load.
    const deleteStore = () => {
      for (const f of [store, `${store}-wal`, `${store}-shm`]) rmSync(f, { force: true });
    };
    const app = track(await startTestApp({ secret: TEST_SECRET, metrics: actAtPostRequest(2, deleteStore) }));
    const r = await runCli(['run', ...fastFlags(app.url, ['--window', '3s']), '--store', store, '--json', '--', process.execPath, '-e', ''], { cwd, env });
    expect(app.requests.filter((q) => q.phase === 'post').length).toBeGreaterThanOrEqual(2);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`store ${store} was deleted after this command opened it: what it writes would be lost; the deploy went ahead, but no verdict could be made`);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(JSON.parse(r.stdout).error.code).toBe('store_error');
  });

  it('finish: the store replaced by another file mid-window is exit 3 saying so; the file that replaced it is left as it was', async () => {
    const cwd = tempDir();
    const store = join(cwd, 'seqpulse.db');
    const restored = join(cwd, 'restored.db');
    // Restored over the store by the app as it answers the second POST request: before that answer is stored, whatever the load.
    const restore = () => {
      renameSync(restored, store);
      for (const f of [`${store}-wal`, `${store}-shm`]) rmSync(f, { force: true });
    };
    const app = track(await startTestApp({ secret: TEST_SECRET, metrics: actAtPostRequest(2, restore) }));
    const start = await runCli(['start', ...fastFlags(app.url), '--store', store, '--json'], { cwd, env });
    expect(start.code, start.stderr).toBe(0);
    const id = JSON.parse(start.stdout).deployment_id as string;
    // Someone else's store, restored over this one while finish observes.
    const other = join(tempDir(), 'other.db');
    const [theirs] = await storeWithFinishedRuns(other, 1);
    copyFileSync(other, restored);

    const r = await runCli(['finish', id, '--endpoint', app.url, '--window', '3s', '--store', store], { cwd, env });
    expect(app.requests.filter((q) => q.phase === 'post').length).toBeGreaterThanOrEqual(2);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`store ${store} was replaced by another file after this command opened it`);

    expect(existsSync(store)).toBe(true);
    const now = await openStore(store, { readOnly: true });
    try {
      expect((await now.listRuns({})).map((x) => x.id)).toEqual([theirs!.id]);
    } finally {
      await now.close();
    }
  });
});
