/** `source: command`: a real child process per sample, its output read as a sample file. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCommandSource } from '../../src/sources/command.js';
import { tempDir } from '../helpers/cli.js';
import { processGone } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait-for.js';

const node = process.execPath;
const tick = (extra: { signal?: AbortSignal; deadline?: number } = {}) => ({ phase: 'pre' as const, deploymentId: 'dep-42', deadline: Date.now() + 10_000, ...extra });
const script = (body: string) => {
  const path = join(tempDir(), 'sample.js');
  writeFileSync(path, body);
  return path;
};

describe('command source', () => {
  it('reads the sample the command prints, with the phase and deployment id in its environment', async () => {
    const path = script(`console.log(JSON.stringify({ metrics: { orders_per_min: 42, phase: process.env.SEQPULSE_PHASE, id: process.env.SEQPULSE_DEPLOYMENT_ID } }))`);
    const s = createCommandSource({ argv: [node, path], timeoutMs: 5000, retries: 0, redactions: [] });
    const [r] = await s.collect(tick());
    expect(r).toMatchObject({ ok: true, attempts: 1, metrics: { orders_per_min: 42, phase: 'pre', id: 'dep-42' } });
    expect(r!.endpoint).toBe(`command: ${node} ${path}`);
  });

  it('a failing command is a failed sample with its exit code and the end of its stderr, retried, secrets masked', async () => {
    const counter = join(tempDir(), 'count');
    const path = script(`const fs = require('node:fs'); fs.appendFileSync(${JSON.stringify(counter)}, 'x'); console.error('db password s3cr3t rejected'); process.exit(3)`);
    const s = createCommandSource({ argv: [node, path], timeoutMs: 5000, retries: 2, redactions: ['s3cr3t'] });
    const [r] = await s.collect(tick());
    expect(r).toMatchObject({ ok: false, attempts: 3 });
    expect(r!.error).toBe('exit 3: db password *** rejected');
    expect(readFileSync(counter, 'utf8')).toBe('xxx');
  });

  it('output that is not a sample is a failed sample saying what was expected', async () => {
    const s = createCommandSource({ argv: [node, '-e', 'console.log("orders=42")'], timeoutMs: 5000, retries: 0, redactions: [] });
    expect((await s.collect(tick()))[0]!.error).toMatch(/printed no JSON sample \(expected \{"metrics": \{\.\.\.\}\}, got "orders=42"\)/);
    const t = createCommandSource({ argv: [node, '-e', 'console.log("[1,2]")'], timeoutMs: 5000, retries: 0, redactions: [] });
    expect((await t.collect(tick()))[0]!.error).toMatch(/without a "metrics" object/);
  });

  it('output that is not UTF-8 (a Latin-1 metric name) is a failed sample naming the byte, not a metric whose name holds U+FFFD', async () => {
    const path = script(`process.stdout.write(Buffer.from('{"metrics": {"caf\\xe9": 1}}\\n', 'latin1'))`);
    const s = createCommandSource({ argv: [node, path], timeoutMs: 5000, retries: 0, redactions: [] });
    const [r] = await s.collect(tick());
    expect(r).toMatchObject({ ok: false, error: 'malformed output: line 1: not UTF-8 text: byte 0xe9 at column 18 (byte offset 17 of the output); JSON is UTF-8 text' });
  });

  it('a command that does not exist says so', async () => {
    const s = createCommandSource({ argv: ['/no/such/metrics-command'], timeoutMs: 5000, retries: 0, redactions: [] });
    expect((await s.collect(tick()))[0]!.error).toMatch(/could not start \/no\/such\/metrics-command: .*ENOENT/);
  });

  it('on timeout the whole process group is killed, grandchildren too', async () => {
    const pidFile = join(tempDir(), 'grandchild.pid');
    // The command starts a grandchild that would outlive it, then hangs.
    const path = script(`const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(g.pid));
      setInterval(() => {}, 1000);`);
    const s = createCommandSource({ argv: [node, path], timeoutMs: 1500, retries: 0, redactions: [] });
    const [r] = await s.collect(tick());
    expect(r!.error).toBe('timed out after 1.5s');
    expect(existsSync(pidFile)).toBe(true);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => processGone(grandchild), 'the grandchild to be gone');
  });

  it.each([
    ['detaches from the output', 'sleep 300 >/dev/null 2>&1 &'],
    ['keeps the output open', 'sleep 300 &'],
  ])('nothing the command starts survives its sample: a child that %s is killed with the group', async (_what, start) => {
    // The sample names the child's pid; the command itself exits at once.
    const s = createCommandSource({ argv: ['sh', '-c', `${start} echo "{\\"metrics\\": {\\"pid\\": $!}}"`], timeoutMs: 5000, retries: 0, redactions: [] });
    const [r] = await s.collect(tick());
    expect(r).toMatchObject({ ok: true });
    const pid = r!.metrics!.pid as number;
    expect(pid).toBeGreaterThan(0);
    // SIGKILL was sent to its group before the sample was settled.
    await waitFor(() => processGone(pid), `the child (pid ${pid}) to be gone`, 2000);
    // A sample a second: nothing piles up either.
    const pids: number[] = [];
    for (let i = 0; i < 5; i++) pids.push((await s.collect(tick()))[0]!.metrics!.pid as number);
    await waitFor(() => pids.every(processGone), 'every child to be gone', 2000);
  });

  it('a command that exits leaving a daemon (its own session, setsid) that holds the output open: its sample is what it printed, not a timeout', async () => {
    const pidFile = join(tempDir(), 'daemon.pid');
    // detached: the child calls setsid() before it runs, so it is out of the group before the sample is printed.
    const path = script(`const { spawn } = require('node:child_process');
      const d = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
      require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(d.pid));
      console.log(JSON.stringify({ metrics: { orders_per_min: 7 } }));
      process.exit(0);`);
    const s = createCommandSource({ argv: [node, path], timeoutMs: 20_000, retries: 0, redactions: [] });
    try {
      const [r] = await s.collect(tick({ deadline: Date.now() + 30_000 }));
      // It waited for the daemon to close the pipes: 'timed out after 20s'.
      expect(r).toMatchObject({ ok: true, attempts: 1, metrics: { orders_per_min: 7 } });
    } finally {
      // Out of the group, so the test's to end.
      if (existsSync(pidFile)) process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    }
  }, 40_000);

  it('an interrupted run kills the command at once', async () => {
    const stop = new AbortController();
    const started = join(tempDir(), 'started');
    const path = script(`require('node:fs').writeFileSync(${JSON.stringify(started)}, 'yes'); setInterval(() => {}, 1000);`);
    const s = createCommandSource({ argv: [node, path], timeoutMs: 60_000, retries: 3, redactions: [] });
    const pending = s.collect(tick({ signal: stop.signal }));
    await waitFor(() => existsSync(started), 'the command to start');
    stop.abort();
    const [r] = await pending;
    expect(r).toMatchObject({ ok: false, attempts: 1, error: 'interrupted' });
  });

  it('a run interrupted while it waits to retry starts the command no more (its next run went on to the timeout, the interrupt unheard)', async () => {
    const stop = new AbortController();
    const runs = join(tempDir(), 'runs');
    // The first run fails at once; any later one would wait for its timeout.
    const path = script(`const fs = require('node:fs'); const first = !fs.existsSync(${JSON.stringify(runs)}); fs.appendFileSync(${JSON.stringify(runs)}, 'x'); if (first) process.exit(1); setInterval(() => {}, 1000);`);
    // The interrupt comes while the source waits between the two runs.
    const sleep = async () => stop.abort();
    const s = createCommandSource({ argv: [node, path], timeoutMs: 60_000, retries: 1, redactions: [], sleep });
    const [r] = await s.collect(tick({ signal: stop.signal }));
    expect(r).toMatchObject({ ok: false, attempts: 1, error: 'exit 1' });
    expect(readFileSync(runs, 'utf8')).toBe('x');
  });

  it('a run interrupted before its sample starts no command', async () => {
    const runs = join(tempDir(), 'runs');
    const s = createCommandSource({ argv: [node, '-e', `require('node:fs').appendFileSync(${JSON.stringify(runs)}, 'x')`], timeoutMs: 60_000, retries: 1, redactions: [] });
    const [r] = await s.collect(tick({ signal: AbortSignal.abort() }));
    expect(r).toMatchObject({ ok: false, attempts: 1, error: 'interrupted' });
    expect(existsSync(runs)).toBe(false);
  });
});
