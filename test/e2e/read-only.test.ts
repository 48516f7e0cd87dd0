/** Commands that only read the store never create one, and say which store they looked in. */
import { readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fastFlags, runCli, tempDir } from '../helpers/cli.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';

describe('read-only commands in a directory without a store', () => {
  it('history, show, verdict, report, analyze <id>, prune and sync create nothing, and name the store they looked for', async () => {
    const cwd = realpathSync(tempDir());
    const store = join(cwd, '.seqpulse', 'seqpulse.db');

    const history = await runCli(['history'], { cwd });
    expect(history.code).toBe(0);
    expect(history.stdout).toContain(`No runs: there is no store at ${store}`);
    const json = await runCli(['history', '--json'], { cwd });
    expect(JSON.parse(json.stdout)).toEqual([]);
    expect(json.stderr).toContain(`There is no store at ${store}`);

    for (const command of [['show', 'abcd1234'], ['verdict', 'abcd1234'], ['report', 'abcd1234'], ['analyze', 'abcd1234']]) {
      const r = await runCli(command, { cwd });
      expect(r.code, command.join(' ')).toBe(2);
      expect(r.stderr).toContain(`seqpulse: no run with id abcd1234: there is no store at ${store} (no run was kept there)`);
      expect(r.stderr).toMatch(/--store/);
    }

    const prune = await runCli(['prune', '--older-than', '30d'], { cwd });
    expect(prune.code).toBe(0);
    expect(prune.stdout).toMatch(new RegExp(`Deleted 0 runs .* from ${store.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.`));

    const target = join(cwd, 'team.db');
    const sync = await runCli(['sync', '--to', target], { cwd });
    expect(sync.code).toBe(0);
    expect(sync.stdout).toContain(`Nothing to push: there is no local store at ${store}.`);

    // Not a file, not a directory: the next `run` creates the store, nothing before it.
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('with a store: history says where its runs come from, and an unknown id names the store it was looked for in', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    try {
      const cwd = realpathSync(tempDir());
      const store = join(cwd, 'runs.db');
      const run = await runCli(['run', ...fastFlags(app.url), '--store', 'runs.db', '--json', '--', process.execPath, '-e', ''], { cwd, env: { SEQPULSE_HMAC_SECRET: TEST_SECRET } });
      expect(run.code).toBe(0);
      const history = await runCli(['history', '--store', 'runs.db'], { cwd });
      expect(history.stdout).toContain(`1 run(s) from ${store}`);
      const missing = await runCli(['show', 'ffff0000', '--store', 'runs.db'], { cwd });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(`no run with id ffff0000 in store ${store}`);
      const empty = await runCli(['history', '--store', 'runs.db', '--verdict', 'rollback_recommended'], { cwd });
      expect(empty.stdout).toContain(`No runs found in ${store} with these filters.`);
    } finally {
      await app.close();
    }
  });
});
