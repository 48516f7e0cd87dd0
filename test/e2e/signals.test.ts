/** Ctrl-C and SIGTERM sent to the real seqpulse process: passed to the deploy command, run stored as interrupted, exit 130/143 (unless the window was complete: then the verdict stands). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { closeAfterEach, deployHook, fastFlags, startCli, startCliOnHangupTerminal, tempDir } from '../helpers/cli.js';
import { DEFAULT_METRICS, startTestApp, TEST_SECRET } from '../helpers/test-app.js';
import { processGone } from '../helpers/processes.js';
import { asAdmin, createTestDatabase } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait-for.js';

const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
const track = closeAfterEach();

async function onlyRun(cwd: string) {
  const store = await openStore(join(cwd, '.seqpulse/seqpulse.db'));
  try {
    const [summary] = await store.listRuns({});
    return { run: await store.getRun(summary!.id), verdict: await store.getVerdict(summary!.id) };
  } finally {
    await store.close();
  }
}

/**
 * Runs seqpulse while `holder` holds advisory lock `lock` (which a trigger makes one of its writes
 * take), sends SIGTERM once seqpulse waits on that lock, then lets the write through.
 */
async function signalledWhileLocked(holder: pg.Client, lock: number, argv: string[]) {
  await holder.query('SELECT pg_advisory_lock($1)', [lock]);
  const cli = startCli(argv, { cwd: tempDir(), env });
  // This lock in this database only: pg_locks is the whole cluster's, and another test's run
  // waiting on an advisory lock of its own (a migration) would let the signal go before this
  // seqpulse has its handlers (Node's default for SIGTERM is to die without a word).
  const waiting = `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1 AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
  await waitFor(async () => Number((await holder.query(waiting, [lock])).rows[0].n) > 0, `seqpulse to wait on lock ${lock}`);
  cli.child.kill('SIGTERM');
  await waitFor(() => cli.output.stderr.includes('SIGTERM received'), 'seqpulse to take the signal');
  await holder.query('SELECT pg_advisory_unlock($1)', [lock]);
  return cli.done;
}

function reaped(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

describe('signals', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    // A hangup (the terminal or SSH session went away): 128 + 1, as a shell reports a process it ended.
    ['SIGHUP', 129],
  ] as const)('%s during the deploy reaches the deploy command; exit %d; stored as interrupted', async (signal, code) => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    let deployed!: () => void;
    const deploying = new Promise<void>((r) => (deployed = r));
    const hook = track(await deployHook(() => deployed()));
    const cwd = tempDir();
    const marker = join(cwd, 'deploy-got');
    const cli = startCli(['run', ...fastFlags(app.url), '--json', '--', ...hook.argv({ holdUntilSignal: true, marker, exitCode: 1 })], { cwd, env });
    await deploying;
    cli.child.kill(signal);
    const r = await cli.done;
    expect(r.code).toBe(code);
    expect(readFileSync(marker, 'utf8')).toBe(signal);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ status: 'interrupted', verdict: null, interrupted_by: signal, exit_code: code });
    const stored = await onlyRun(cwd);
    expect(stored.run?.status).toBe('interrupted');
    expect(stored.verdict?.exit_code).toBe(code);
    // Nothing was sampled after the interruption.
    expect(app.requests.some((q) => q.phase === 'post')).toBe(false);
  });

  it('SIGTERM during the deploy: a grandchild that ignores it is killed with its whole group after --kill-grace, though the deploy command itself exited; exit 143', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    const gcPid = join(cwd, 'grandchild.pid');
    const grandchild = `process.on('SIGTERM', () => {}); require('fs').writeFileSync(${JSON.stringify(gcPid)}, String(process.pid)); setInterval(() => {}, 1000);`;
    const deploy = `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: 'ignore' });
      process.on('SIGTERM', () => process.exit(143));
      setInterval(() => {}, 1000);`;
    const cli = startCli(['run', ...fastFlags(app.url), '--kill-grace', '500ms', '--json', '--', process.execPath, '-e', deploy], { cwd, env });
    await waitFor(() => existsSync(gcPid) && readFileSync(gcPid, 'utf8') !== '', 'the grandchild to start');
    const pid = Number(readFileSync(gcPid, 'utf8'));
    cli.child.kill('SIGTERM');
    const r = await cli.done;
    expect(r.code).toBe(143);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'interrupted', interrupted_by: 'SIGTERM', deploy_exit_code: 143 });
    // SIGKILL was sent to the group before seqpulse exited; the kernel has it gone at once.
    await waitFor(() => processGone(pid), `the grandchild (pid ${pid}) to be gone`, 2000);
    expect((await onlyRun(cwd)).run?.status).toBe('interrupted');
  });

  it("SIGTERM during the deploy, under a parent that does not reap orphans (a container's PID 1): the group's zombies are not waited for; exit 143 at once, not after --kill-grace", async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    let deployed!: () => void;
    const deploying = new Promise<void>((r) => (deployed = r));
    const hook = track(await deployHook(() => deployed()));
    const cwd = tempDir();
    // The deploy leaves a `sleep` in its group, which dies with it and, orphaned, stays a zombie
    // under the subreaper until the test ends.
    const deploy = ['sh', '-c', 'sleep 30 & exec "$@"', 'sh', ...hook.argv({ holdUntilSignal: true, marker: join(cwd, 'deploy-got'), exitCode: 1 })];
    const subreaper = fileURLToPath(new URL('../helpers/subreaper.py', import.meta.url));
    const cli = startCli(['run', ...fastFlags(app.url), '--kill-grace', '30s', '--json', '--', ...deploy], { cwd, env, prefix: ['python3', subreaper] });
    await deploying;
    const sent = Date.now();
    cli.child.kill('SIGTERM');
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(143);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'interrupted', interrupted_by: 'SIGTERM' });
    // Well under the 30 s grace on any runner; waiting for the zombie took all of it.
    expect(Date.now() - sent).toBeLessThan(15_000);
  }, 60_000);

  it('the terminal hangs up during the deploy (its window or SSH session closed): the deploy gets SIGHUP, the run is stored as interrupted, seqpulse exits 129 (not a crash), nothing is left running', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    const pids = join(cwd, 'pids');
    const marker = join(cwd, 'deploy-got');
    // In a session of its own, the deploy gets no SIGHUP from the terminal: only seqpulse can pass it on.
    const deploy = `const fs = require('fs');
      process.on('SIGHUP', () => { fs.writeFileSync(${JSON.stringify(marker)}, 'SIGHUP'); process.exit(1); });
      fs.writeFileSync(${JSON.stringify(pids)}, process.pid + ' ' + process.ppid);
      setInterval(() => {}, 1000);`;
    const terminal = startCliOnHangupTerminal(['run', ...fastFlags(app.url), '--', process.execPath, '-e', deploy], { cwd, env });
    await waitFor(() => existsSync(pids) && readFileSync(pids, 'utf8').includes(' '), 'the deploy to start');
    const [deployPid, seqpulsePid] = readFileSync(pids, 'utf8').split(' ').map(Number) as [number, number];
    terminal.hangUp();
    try {
      await waitFor(() => processGone(seqpulsePid) && processGone(deployPid), 'seqpulse and the deploy to be gone');
    } finally {
      if (!processGone(deployPid)) process.kill(deployPid, 'SIGKILL');
    }
    expect(readFileSync(marker, 'utf8')).toBe('SIGHUP');
    // Node aborted (134, "Assertion failed") putting back the settings of the terminal that was gone.
    expect((await terminal.done).code).toBe(129);
    const stored = await onlyRun(cwd);
    expect(stored.run?.status).toBe('interrupted');
    expect(stored.verdict).toMatchObject({ interrupted_by: 'SIGHUP', exit_code: 129 });
  });

  it('SIGINT during the POST window -> exit 130, stored as interrupted, POST samples so far kept', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const hook = track(await deployHook(() => undefined));
    const cwd = tempDir();
    const cli = startCli(['run', ...fastFlags(app.url, ['--window', '20s']), '--', ...hook.argv()], { cwd, env });
    await waitFor(() => app.requests.filter((q) => q.phase === 'post').length >= 3, '3 POST requests');
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/INTERRUPTED/);
    const stored = await onlyRun(cwd);
    expect(stored.run?.status).toBe('interrupted');
    expect(stored.run?.result).toBe('success');
    expect(stored.verdict?.samples.post).toBeGreaterThanOrEqual(3);
    expect(existsSync(join(cwd, '.seqpulse/seqpulse.db'))).toBe(true);
  });

  it('a SIGTERM taken after the deploy ended, before the POST window started (the store waiting on a lock), still ends the run at once: exit 143, not after the window', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    let lock: BetterSqlite3.Database | undefined;
    // Another writer takes the store while the deploy runs: what seqpulse writes after it waits (busy timeout, 5 s).
    const hook = track(
      await deployHook(() => {
        lock = new BetterSqlite3(join(cwd, '.seqpulse/seqpulse.db'));
        lock.exec('BEGIN IMMEDIATE');
      }),
    );
    const pidFile = join(cwd, 'deploy.pid');
    const [node, flag, script] = hook.argv();
    const deploy = [node!, flag!, `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); ${script}`];
    const started = Date.now();
    const cli = startCli(['run', ...fastFlags(app.url, ['--window', '20s']), '--json', '--', ...deploy], { cwd, env });
    try {
      await waitFor(() => hook.calls > 0 && existsSync(pidFile), 'the deploy to run');
      const pid = Number(readFileSync(pidFile, 'utf8'));
      // Reaped (not even a zombie): seqpulse has taken the deploy's exit, and goes on to the store.
      await waitFor(() => reaped(pid), 'seqpulse to reap the deploy');
      cli.child.kill('SIGTERM');
      await waitFor(() => cli.output.stderr.includes('SIGTERM received'), 'seqpulse to take the signal');
    } finally {
      lock?.exec('ROLLBACK');
      lock?.close();
    }
    const r = await cli.done;
    expect(r.code).toBe(143);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'interrupted', interrupted_by: 'SIGTERM', result: 'success', deploy_exit_code: 0 });
    expect(app.requests.filter((q) => q.phase === 'post').length).toBeLessThanOrEqual(1);
  });

  it('a SIGTERM taken once the last POST sample was in, its write waiting on a locked store, keeps the verdict: exit 1, stored finished', async () => {
    // POST's error rate is up: a rollback, with the whole window (no early decision).
    const app = track(await startTestApp({ secret: TEST_SECRET, metrics: (_n, phase) => ({ ...DEFAULT_METRICS, error_rate: phase === 'post' ? 0.2 : 0.01 }) }));
    const hook = track(await deployHook(() => undefined));
    const store = await createTestDatabase();
    await (await openStore(store)).close();
    // The write of the last POST sample (10 ticks: seq 9), and only that one, waits on a lock the
    // test holds: the sample was taken, the window is complete, its write is not done.
    await asAdmin(store, [
      `CREATE FUNCTION hold_last_sample() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.phase = 'post' AND NEW.seq = 9 THEN PERFORM pg_advisory_xact_lock(4243); END IF; RETURN NEW; END $$`,
      'CREATE TRIGGER hold_last_sample BEFORE INSERT ON samples FOR EACH ROW EXECUTE FUNCTION hold_last_sample()',
    ]);
    const holder = new pg.Client({ connectionString: store });
    await holder.connect();
    try {
      // The verdict needs its POST samples, not the 300 ms timeout: on a loaded runner (CI once) a
      // stalled process cut most of them off as timeouts and the verdict was attention on too few.
      const r = await signalledWhileLocked(holder, 4243, ['run', ...fastFlags(app.url, ['--timeout', '2s']), '--no-early-exit', '--store', store, '--json', '--', ...hook.argv()]);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/SIGTERM received after the last POST sample was in/);
      const report = JSON.parse(r.stdout);
      expect(report, r.stderr).toMatchObject({ status: 'finished', verdict: 'rollback_recommended', exit_code: 1 });
      // Every one of the 10 ticks was taken (the last one is the write held).
      expect(report.samples.post + (report.samples.failed ?? 0), r.stderr).toBeGreaterThanOrEqual(10);
      expect(report.interrupted_by).toBeUndefined();
      const { rows } = await holder.query('SELECT status FROM runs WHERE id = $1', [report.deployment_id]);
      expect(rows).toEqual([{ status: 'finished' }]);
      const again = await startCli(['verdict', report.deployment_id, '--store', store, '--json'], { cwd: tempDir() }).done;
      expect(again.code).toBe(1);
    } finally {
      await holder.end();
    }
  });

  it('a SIGTERM taken while the run is being marked deploying (the store waiting on a lock): the deploy never starts; exit 143, stored as interrupted before the deploy', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const hook = track(await deployHook(() => undefined));
    const store = await createTestDatabase();
    await (await openStore(store)).close();
    // The write of status 'deploying' (and only that one) waits on a lock the test holds.
    await asAdmin(store, [
      `CREATE FUNCTION hold_deploying() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.status = 'deploying' THEN PERFORM pg_advisory_xact_lock(4242); END IF; RETURN NEW; END $$`,
      'CREATE TRIGGER hold_deploying BEFORE UPDATE ON runs FOR EACH ROW EXECUTE FUNCTION hold_deploying()',
    ]);
    const holder = new pg.Client({ connectionString: store });
    await holder.connect();
    try {
      const r = await signalledWhileLocked(holder, 4242, ['run', ...fastFlags(app.url), '--store', store, '--json', '--', ...hook.argv()]);
      expect(r.code).toBe(143);
      expect(hook.calls).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report).toMatchObject({ status: 'interrupted', interrupted_by: 'SIGTERM', summary: expect.stringMatching(/before the deploy; nothing was deployed/) });
      const { rows } = await holder.query('SELECT status FROM runs WHERE id = $1', [report.deployment_id]);
      expect(rows).toEqual([{ status: 'interrupted' }]);
    } finally {
      await holder.end();
    }
  });

  it('verdict <id> of an interrupted run gives the same exit code again', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const hook = track(await deployHook(() => undefined));
    const cwd = tempDir();
    const cli = startCli(['run', ...fastFlags(app.url, ['--window', '20s']), '--json', '--', ...hook.argv()], { cwd, env });
    await waitFor(() => app.requests.some((q) => q.phase === 'post'), 'a POST request');
    cli.child.kill('SIGTERM');
    const first = await cli.done;
    expect(first.code).toBe(143);
    const id = JSON.parse(first.stdout).deployment_id;
    const again = await startCli(['verdict', id, '--json'], { cwd }).done;
    expect(again.code).toBe(143);
    expect(JSON.parse(again.stdout).deployment_id).toBe(id);
  });
});
