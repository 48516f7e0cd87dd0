/** Commands that only read the store never create one, and say which store they looked in. */
import { chmodSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { fastFlags, runCli, startCli, tempDir } from '../helpers/cli.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';
import { waitFor } from '../helpers/wait-for.js';

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
    // --json has the shape it has with a store.
    const syncJson = await runCli(['sync', '--to', target, '--json'], { cwd });
    expect(JSON.parse(syncJson.stdout)).toEqual({ target, pushed: { runs: 0, samples: 0, verdicts: 0 }, up_to_date: 0, settled: 0, conflicts: 0, conflicting: [] });

    // Not a file, not a directory: the next `run` creates the store, nothing before it.
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('a store file that is empty (its creation cut off by a full disk) holds no run: read as no store, not "not a seqpulse store"; the next run makes it a store', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    try {
      const cwd = realpathSync(tempDir());
      const store = join(cwd, 'runs.db');
      writeFileSync(store, '');
      const history = await runCli(['history', '--store', 'runs.db'], { cwd });
      expect(history.code).toBe(0);
      expect(history.stdout).toContain(`No runs: there is no store at ${store}`);
      const show = await runCli(['show', 'abcd1234', '--store', 'runs.db'], { cwd });
      expect(show.code).toBe(2);
      expect(show.stderr).toContain(`no run with id abcd1234: there is no store at ${store}`);
      expect(statSync(store).size).toBe(0);
      const run = await runCli(['run', ...fastFlags(app.url), '--store', 'runs.db', '--json', '--', process.execPath, '-e', ''], { cwd, env: { SEQPULSE_HMAC_SECRET: TEST_SECRET } });
      expect(run.code).toBe(0);
      expect((await runCli(['history', '--store', 'runs.db'], { cwd })).stdout).toContain(`1 run(s) from ${store}`);
    } finally {
      await app.close();
    }
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

describe('read-only commands on a store nobody may write', () => {
  it('history, show, verdict, report, analyze <id> and sync read a store file with mode 444 in a directory with mode 555: exit 0, no -wal or -shm, the file as it was', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    const cwd = realpathSync(tempDir());
    const dir = join(cwd, 'ro');
    mkdirSync(dir);
    const store = join(dir, 'runs.db');
    try {
      const made = await runCli(['run', ...fastFlags(app.url), '--store', store, '--json', '--', process.execPath, '-e', ''], { cwd, env: { SEQPULSE_HMAC_SECRET: TEST_SECRET } });
      expect(made.code, made.stderr).toBe(0);
      const id = JSON.parse(made.stdout).deployment_id as string;
      // The test run's abandoned-run rule would write: a run of this host whose process is gone, as kill -9 leaves it.
      const raw = new BetterSqlite3(store);
      raw.prepare("insert into runs (id, project, env, status, settings, created_at, updated_at) values ('dead0000-0000-4000-8000-000000000000', 'p', 'e', 'observing', ?, ?, ?)").run(
        JSON.stringify({ endpoints: ["http://127.0.0.1:9/ds-metrics"], owner: { host: hostname(), pid: 2 ** 22 + 1 }, window_ms: 1000, interval_ms: 100, pre_samples: 1, timeout_ms: 100 }),
        new Date().toISOString(),
        new Date().toISOString(),
      );
      raw.close();
      chmodSync(cwd, 0o755);
      chmodSync(store, 0o444);
      chmodSync(dir, 0o555);
      const before = { bytes: readFileSync(store), mtimeNs: statSync(store, { bigint: true }).mtimeNs };
      // Root may write anything: the CLI runs as nobody then, so the permissions are checked for real.
      const as = process.getuid?.() === 0 ? { user: { uid: 65534, gid: 65534 } } : {};
      const target = join(tempDir(), 'team.db');
      for (const command of [['history'], ['show', id], ['verdict', id], ['report', id, '--format', 'md'], ['analyze', id], ['history', '--json']]) {
        const r = await runCli([...command, '--store', store], { cwd, ...as });
        expect(r.code, `${command.join(' ')}: ${r.stderr}`).toBe(0);
        expect(r.stderr, command.join(' ')).not.toMatch(/^seqpulse: |internal error/m);
        if (command[0] === 'history') expect(r.stdout).toContain(id.slice(0, 8));
        if (command[0] === 'history' && command[1] === undefined) {
          // The dead run cannot be settled here: shown as it is, and said once why.
          expect(r.stdout).toMatch(/dead0000.*observing/);
          expect(r.stderr).toContain(`Run(s) dead0000-0000-4000-8000-000000000000 look abandoned, but store ${store} cannot be opened for writing: shown as they are`);
        }
      }
      chmodSync(dirname(target), 0o777);
      const sync = await runCli(['sync', '--store', store, '--to', target], { cwd, ...as });
      expect(sync.code, sync.stderr).toBe(0);
      expect(sync.stdout).toContain('2 runs');
      expect(readdirSync(dir)).toEqual(['runs.db']);
      expect(readFileSync(store).equals(before.bytes)).toBe(true);
      expect(statSync(store, { bigint: true }).mtimeNs).toBe(before.mtimeNs);
    } finally {
      chmodSync(dir, 0o755);
      await app.close();
    }
  });
  it('a run killed with kill -9 leaves its -wal and -shm: with the three files read-only, history, show and verdict still read the store (exit 0), the dead run shown as it is, and said why', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    const cwd = realpathSync(tempDir());
    const store = join(cwd, 'runs.db');
    try {
      const made = await runCli(['run', ...fastFlags(app.url), '--store', store, '--json', '--', process.execPath, '-e', ''], { cwd, env: { SEQPULSE_HMAC_SECRET: TEST_SECRET } });
      expect(made.code, made.stderr).toBe(0);
      const id = JSON.parse(made.stdout).deployment_id as string;
      app.clearRequests();
      const killed = startCli(['run', ...fastFlags(app.url, ['--window', '60s']), '--store', store, '--', process.execPath, '-e', ''], { cwd, env: { SEQPULSE_HMAC_SECRET: TEST_SECRET } });
      await waitFor(() => app.requests.filter((q) => q.phase === 'post').length >= 3, 'three POST requests');
      killed.child.kill('SIGKILL');
      expect((await killed.done).signal).toBe('SIGKILL');
      expect(readdirSync(cwd).sort()).toEqual(['runs.db', 'runs.db-shm', 'runs.db-wal']);
      chmodSync(cwd, 0o755);
      for (const file of readdirSync(cwd)) chmodSync(join(cwd, file), 0o444);
      // Root may write anything: the CLI runs as nobody then, so the permissions are checked for real.
      const as = process.getuid?.() === 0 ? { user: { uid: 65534, gid: 65534 } } : {};
      const history = await runCli(['history', '--json', '--store', store], { cwd, ...as });
      // It used to open the store for writing to settle the dead run, and fail: exit 2, 'cannot be written: it is read-only'.
      expect(history.code, history.stderr).toBe(0);
      const rows = JSON.parse(history.stdout) as { id: string; status: string }[];
      expect(rows).toHaveLength(2);
      const dead = rows.find((r) => r.id !== id)!;
      expect(dead.status).toBe('observing');
      expect(history.stderr).toContain(`Run(s) ${dead.id} look abandoned, but store ${store} cannot be written: it is read-only: shown as they are`);
      for (const command of [['show', dead.id], ['verdict', id]]) {
        const r = await runCli([...command, '--store', store], { cwd, ...as });
        expect(r.code, `${command.join(' ')}: ${r.stderr}`).toBe(0);
      }
    } finally {
      await app.close();
    }
  });
});
