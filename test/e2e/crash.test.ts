/**
 * Crash safety: `kill -9` of seqpulse in the middle of the window leaves a consistent store; the
 * next command marks the run abandoned and says so (once); `finish` of an abandoned or interrupted
 * run explains what to do instead of pretending.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { run as runRecord, sample } from '../helpers/records.js';
import { fastFlags, runCli, startCli, tempDir } from '../helpers/cli.js';
import { processGone } from '../helpers/processes.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';
import { waitFor } from '../helpers/wait-for.js';

const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };

describe('crash safety', () => {
  it('kill -9 mid-window: the store stays consistent, the next command marks the run abandoned, finish explains', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    const cwd = tempDir();
    try {
      const run = startCli(['run', ...fastFlags(app.url, ['--window', '60s']), '--', process.execPath, '-e', ''], { cwd, env });
      await waitFor(() => app.requests.filter((q) => q.phase === 'post').length >= 3, 'three POST requests');
      run.child.kill('SIGKILL');
      const killed = await run.done;
      expect(killed.signal).toBe('SIGKILL');

      const history = await runCli(['history', '--json'], { cwd });
      expect(history.code).toBe(0);
      const [row] = JSON.parse(history.stdout);
      expect(row).toMatchObject({ status: 'abandoned', verdict: null });
      expect(row.finished_at).not.toBeNull();
      expect(history.stderr).toMatch(new RegExp(`Run ${row.id} \\(.*\\) was abandoned: its process \\d+ is gone \\(killed or crashed\\) while observing`));
      // Said once: the run is settled now.
      expect((await runCli(['history'], { cwd })).stderr).not.toMatch(/abandoned/);

      // Every sample it stored is intact and readable; nothing half-written.
      const store = await openStore(join(cwd, '.seqpulse', 'seqpulse.db'));
      const samples = await store.getSamples(row.id);
      await store.close();
      const post = samples.filter((s) => s.phase === 'post');
      expect(samples.filter((s) => s.phase === 'pre')).toHaveLength(3);
      expect(post.length).toBeGreaterThanOrEqual(2);
      expect(post.length).toBeLessThanOrEqual(app.requests.filter((q) => q.phase === 'post').length);
      expect(post.every((s) => s.ok && s.metrics !== null)).toBe(true);
      expect(new Set(post.map((s) => s.seq)).size).toBe(post.length);

      const finish = await runCli(['finish', row.id], { cwd, env });
      expect(finish.code).toBe(2);
      expect(finish.stderr).toMatch(/was abandoned: the process observing it died .*\n.*seqpulse show/);
    } finally {
      await app.close();
    }
  });

  it('kill -9 during the deploy: the deploy command and its children go too; what a deploy that had ended left running stays', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    const cwd = tempDir();
    const pidFile = join(cwd, 'deploy.pids');
    // The deploy's shell and the child it started, as it wrote them.
    const pids = () => (existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n') ? (readFileSync(pidFile, 'utf8').trim().split(' ').map(Number) as [number, number]) : undefined);
    // The keeper of a run's deploy: a shell it started, whose script reads the group it guards.
    const keeperOf = (run: ReturnType<typeof startCli>) => spawnSync('pgrep', ['-P', String(run.child.pid), '-f', 'read -r group'], { encoding: 'utf8' }).stdout.trim();
    // Killed, and gone: not its output closed (what the deploy left running holds it open).
    const kill9 = (run: ReturnType<typeof startCli>) => new Promise<NodeJS.Signals | null>((resolve) => {
      run.child.once('exit', (_code, signal) => resolve(signal));
      run.child.kill('SIGKILL');
    });
    const leftovers: number[] = [];
    try {
      // Still deploying (a shell waiting on its child) when seqpulse is killed: nobody is left to pass a signal on but the keeper.
      const run = startCli(['run', ...fastFlags(app.url), '--', 'sh', '-c', `sleep 1000 & echo $$ $! > '${pidFile}'; wait`], { cwd, env });
      const [shell, child] = await waitFor(pids, 'the deploy to start its child');
      leftovers.push(shell, child);
      await waitFor(() => keeperOf(run) !== '', 'the deploy\'s keeper to start');
      expect(await kill9(run)).toBe('SIGKILL');
      await waitFor(() => processGone(child) && processGone(shell), 'the deploy and its child to be gone');

      // A deploy that started a server and ended: the server is its to leave running, kill -9 or not.
      rmSync(pidFile);
      const ended = startCli(['run', ...fastFlags(app.url, ['--window', '60s']), '--', 'sh', '-c', `sleep 1000 & echo $$ $! > '${pidFile}'`], { cwd, env });
      const [, server] = await waitFor(pids, 'the deploy to start its server');
      leftovers.push(server);
      await waitFor(() => app.requests.some((q) => q.phase === 'post'), 'the run to be observing');
      // Its keeper left when the deploy ended: nothing will touch the server.
      await waitFor(() => keeperOf(ended) === '', 'no keeper of that deploy to be left');
      await kill9(ended);
      expect(processGone(server)).toBe(false);
    } finally {
      for (const pid of leftovers) if (!processGone(pid)) process.kill(pid, 'SIGKILL');
      await app.close();
    }
  });

  it('a run whose process is alive is left alone', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    const cwd = tempDir();
    try {
      // A window far longer than the test: `history` must find the run still observing however slow
      // the machine (a 3 s window had ended before a loaded runner's `history` read the store).
      const run = startCli(['run', ...fastFlags(app.url, ['--window', '10m']), '--json', '--', process.execPath, '-e', ''], { cwd, env });
      await waitFor(() => app.requests.some((q) => q.phase === 'post'), 'the run to be observing');
      const history = await runCli(['history', '--json'], { cwd });
      expect(JSON.parse(history.stdout)[0].status).toBe('observing');
      expect(history.stderr).not.toMatch(/abandoned/);
      // Still its own process's to end: stopped, it stores itself as interrupted, not abandoned.
      run.child.kill('SIGINT');
      const done = await run.done;
      expect(done.code).toBe(130);
      expect(JSON.parse(done.stdout).status).toBe('interrupted');
      expect(JSON.parse((await runCli(['history', '--json'], { cwd })).stdout)[0].status).toBe('interrupted');
    } finally {
      await app.close();
    }
  });

  it('finish of a start that was interrupted says it cannot be finished and what to do', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    const cwd = tempDir();
    try {
      const start = startCli(['start', ...fastFlags(app.url, ['--pre-samples', '100']), '--json'], { cwd, env });
      await waitFor(() => app.requests.length >= 2, 'PRE sampling to be under way');
      start.child.kill('SIGINT');
      const stopped = await start.done;
      expect(stopped.code).toBe(130);
      const id = JSON.parse(stopped.stdout).deployment_id;
      const finish = await runCli(['finish', id], { cwd, env });
      expect(finish.code).toBe(2);
      expect(finish.stderr).toMatch(new RegExp(`run ${id} was interrupted \\(Interrupted by SIGINT before the deploy.*\\) and cannot be finished\\n.*seqpulse start`));
    } finally {
      await app.close();
    }
  });

  it('a run an older seqpulse left "finished, no verdict" is not stuck: its process gone, the next command marks it abandoned; finish, verdict and report say what happened', async () => {
    const cwd = tempDir();
    // A pid that is certainly gone: a process that has exited.
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    const left = runRecord({
      status: 'finished',
      result: 'success',
      created_at: new Date(Date.now() - 120_000).toISOString(),
      updated_at: new Date(Date.now() - 60_000).toISOString(),
      deployed_at: new Date(Date.now() - 110_000).toISOString(),
      finished_at: new Date(Date.now() - 60_000).toISOString(),
      settings: { endpoints: ['http://127.0.0.1:1/ds-metrics'], interval_ms: 1000, window_ms: 10_000, pre_samples: 3, timeout_ms: 500, owner: { host: hostname(), pid: gone } },
    });
    const recent = runRecord({ ...left, id: crypto.randomUUID(), settings: { ...left.settings, owner: { host: 'another-runner', pid: gone } } });
    const store = await openStore(join(cwd, '.seqpulse', 'seqpulse.db'));
    await store.upsertRuns([left, recent]);
    await store.addSamples([sample(left.id, 0, { error_rate: 0.01 })]);
    await store.close();

    const history = await runCli(['history', '--json'], { cwd });
    expect(history.code).toBe(0);
    const statuses = Object.fromEntries(JSON.parse(history.stdout).map((r: { id: string; status: string }) => [r.id, r.status]));
    expect(statuses).toEqual({ [left.id]: 'abandoned', [recent.id]: 'finished' });
    expect(history.stderr).toMatch(new RegExp(`Run ${left.id} \\(shop/prod\\) was left finished without a verdict by an older seqpulse .*Marked abandoned; the samples it took are kept`));

    const finish = await runCli(['finish', left.id], { cwd, env });
    expect(finish.code).toBe(2);
    expect(finish.stderr).toMatch(/was abandoned: the process observing it died .*, so it cannot be finished\n.*seqpulse show/);
    const verdict = await runCli(['verdict', left.id], { cwd });
    expect(verdict.code).toBe(3);
    expect(verdict.stderr).toMatch(/was abandoned/);
    // The run of another runner, left that way a minute ago: said as it is, and what will happen to it.
    const other = await runCli(['report', recent.id, '--format', 'md'], { cwd });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/was left finished without a verdict by an older seqpulse, cut off between writing the two: there is nothing to report\n.*marks it abandoned \(any command does 15m after it ended\)/);
  });
});
