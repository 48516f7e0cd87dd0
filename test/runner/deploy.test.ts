import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runDeploy } from '../../src/runner/deploy.js';
import { MAX_LINE } from '../../src/runner/lines.js';
import type { Interrupts, StopSignal } from '../../src/runner/signals.js';
import { processGone } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait-for.js';

/** Interrupts the test fires by hand, standing in for signals sent to seqpulse itself (those are tested end to end). */
function manualInterrupts() {
  const listeners = new Set<(s: StopSignal, n: number) => void>();
  let count = 0;
  const interrupts: Interrupts = {
    signal: new AbortController().signal,
    received: () => null,
    onSignal: (l) => (listeners.add(l), () => listeners.delete(l)),
    dispose: () => listeners.clear(),
  };
  return { interrupts, fire: (s: StopSignal) => listeners.forEach((l) => l(s, ++count)) };
}

const node = process.execPath;
/** The keepers of this process's deploys (deploy.ts startKeeper), one PID a line. */
const keepers = () => spawnSync('pgrep', ['-P', String(process.pid), '-f', 'read -r group'], { encoding: 'utf8' }).stdout.trim();
const tmp = () => mkdtempSync(join(tmpdir(), 'seqpulse-deploy-'));

describe('runDeploy', () => {
  it('passes the exit code through, with no shell', async () => {
    const { interrupts } = manualInterrupts();
    const out = await runDeploy([node, '-e', 'process.exit(7)'], { stdout: 'stderr', interrupts });
    expect(out).toMatchObject({ exitCode: 7, signal: null });
    // Arguments are passed as argv: shell syntax is not interpreted.
    const dir = tmp();
    const literal = await runDeploy([node, '-e', 'require("fs").writeFileSync(process.argv[1], process.argv[2])', join(dir, 'arg'), '$(echo hi) && exit 3'], { stdout: 'stderr', interrupts });
    expect(literal.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'arg'), 'utf8')).toBe('$(echo hi) && exit 3');
  });

  it('reports a command that does not exist as exit 127', async () => {
    const { interrupts } = manualInterrupts();
    const out = await runDeploy(['definitely-not-a-command-seqpulse'], { stdout: 'stderr', interrupts });
    expect(out.exitCode).toBe(127);
    expect(out.spawnError).toMatch(/command not found: definitely-not-a-command-seqpulse/);
    // The deploy's keeper, started before it, is told there is nothing to guard and leaves.
    await waitFor(() => keepers() === '', 'no keeper to be left');
  });

  it('a deploy that runs has a keeper (a shell of ours reading the group it guards) until it ends, and none after', async () => {
    const { interrupts } = manualInterrupts();
    const ready = join(tmp(), 'ready');
    const done = runDeploy([node, '-e', `process.on('SIGUSR2', () => process.exit(0)); require('fs').writeFileSync(${JSON.stringify(ready)}, String(process.pid)); setInterval(() => {}, 1000);`], { stdout: 'stderr', interrupts });
    await waitFor(() => existsSync(ready) && readFileSync(ready, 'utf8') !== '', 'the deploy to start');
    await waitFor(() => keepers() !== '', 'its keeper');
    const keeper = Number(keepers());
    process.kill(Number(readFileSync(ready, 'utf8')), 'SIGUSR2');
    expect((await done).exitCode).toBe(0);
    await waitFor(() => processGone(keeper), 'the keeper to leave');
  });

  it('forwards SIGINT to the whole process group (child and grandchild)', async () => {
    const dir = tmp();
    const { interrupts, fire } = manualInterrupts();
    const grandchild = `process.on('SIGINT', () => { require('fs').writeFileSync(${JSON.stringify(join(dir, 'gc'))}, 'SIGINT'); process.exit(0); }); require('fs').writeFileSync(${JSON.stringify(join(dir, 'gc-ready'))}, ''); setInterval(() => {}, 1000);`;
    const child = `
      const { spawn } = require('child_process');
      const gc = spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: 'inherit' });
      // The grandchild gets the same SIGINT and may have exited (its 'exit' event already emitted) before this handler runs.
      let gcExited = false, interrupted = false;
      gc.on('exit', () => { gcExited = true; if (interrupted) process.exit(130); });
      process.on('SIGINT', () => { require('fs').writeFileSync(${JSON.stringify(join(dir, 'child'))}, 'SIGINT'); interrupted = true; if (gcExited) process.exit(130); });
      require('fs').writeFileSync(${JSON.stringify(join(dir, 'ready'))}, '');
      setInterval(() => {}, 1000);`;
    const running = runDeploy([node, '-e', child], { stdout: 'stderr', interrupts });
    await waitFor(() => existsSync(join(dir, 'ready')) && existsSync(join(dir, 'gc-ready')), 'child and grandchild to start');
    fire('SIGINT');
    const out = await running;
    expect(out).toMatchObject({ exitCode: 130, signal: null });
    expect(readFileSync(join(dir, 'child'), 'utf8')).toBe('SIGINT');
    expect(readFileSync(join(dir, 'gc'), 'utf8')).toBe('SIGINT');
  });

  it('kills a command that ignores SIGTERM after the grace period', async () => {
    const dir = tmp();
    const { interrupts, fire } = manualInterrupts();
    const stubborn = `process.on('SIGTERM', () => {}); require('fs').writeFileSync(${JSON.stringify(join(dir, 'ready'))}, ''); setInterval(() => {}, 1000);`;
    const running = runDeploy([node, '-e', stubborn], { stdout: 'stderr', interrupts, graceMs: 200 });
    await waitFor(() => existsSync(join(dir, 'ready')), 'child to start');
    fire('SIGTERM');
    const out = await running;
    expect(out.signal).toBe('SIGKILL');
  });

  it('after a signal, the whole group is killed when the grace period ends, even though the command itself exited: a grandchild that ignores SIGTERM is gone', async () => {
    const dir = tmp();
    const { interrupts, fire } = manualInterrupts();
    const gcPid = join(dir, 'gc.pid');
    const grandchild = `process.on('SIGTERM', () => {}); require('fs').writeFileSync(${JSON.stringify(gcPid)}, String(process.pid)); setInterval(() => {}, 1000);`;
    // The command obeys SIGTERM at once; what it started does not.
    const child = `
      require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: 'ignore' });
      process.on('SIGTERM', () => process.exit(143));
      setInterval(() => {}, 1000);`;
    const running = runDeploy([node, '-e', child], { stdout: 'stderr', interrupts, graceMs: 300 });
    await waitFor(() => existsSync(gcPid) && readFileSync(gcPid, 'utf8') !== '', 'the grandchild to start');
    const pid = Number(readFileSync(gcPid, 'utf8'));
    const firedAt = Date.now();
    fire('SIGTERM');
    const out = await running;
    // The command's own outcome, reported once the rest of its group had its grace period.
    expect(out).toMatchObject({ exitCode: 143, signal: null });
    expect(Date.now() - firedAt).toBeGreaterThanOrEqual(250);
    await waitFor(() => processGone(pid), `the grandchild (pid ${pid}) to be gone`, 2000);
  });

  it('after a signal, a group that empties within the grace period ends the wait at once', async () => {
    const { interrupts, fire } = manualInterrupts();
    const dir = tmp();
    const child = `process.on('SIGTERM', () => process.exit(143)); require('fs').writeFileSync(${JSON.stringify(join(dir, 'ready'))}, ''); setInterval(() => {}, 1000);`;
    const running = runDeploy([node, '-e', child], { stdout: 'stderr', interrupts, graceMs: 60_000 });
    await waitFor(() => existsSync(join(dir, 'ready')), 'child to start');
    fire('SIGTERM');
    expect(await running).toMatchObject({ exitCode: 143, signal: null });
  });

  it('a stopped command (SIGSTOP) gets the signal too: the group is continued after it, so its handler runs and it exits within the grace period instead of being killed at its end', async () => {
    const { interrupts, fire } = manualInterrupts();
    const dir = tmp();
    const pidFile = join(dir, 'pid');
    const child = `process.on('SIGTERM', () => { require('fs').writeFileSync(${JSON.stringify(join(dir, 'handled'))}, ''); process.exit(0); });
      require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); process.kill(process.pid, 'SIGSTOP'); setInterval(() => {}, 1000);`;
    const running = runDeploy([node, '-e', child], { stdout: 'stderr', interrupts, graceMs: 60_000 });
    const pid = await waitFor(() => existsSync(pidFile) && Number(readFileSync(pidFile, 'utf8')), 'the command to start');
    await waitFor(() => processState(pid) === 'T', 'the command to be stopped');
    fire('SIGTERM');
    expect(await running).toMatchObject({ exitCode: 0, signal: null });
    expect(existsSync(join(dir, 'handled'))).toBe(true);
  });

  it('without a signal, what the command leaves running on purpose (a server it started) is not touched', async () => {
    const dir = tmp();
    const { interrupts } = manualInterrupts();
    const pidFile = join(dir, 'server.pid');
    const child = `const s = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', detached: false });
      require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(s.pid)); s.unref(); process.exit(0);`;
    expect(await runDeploy([node, '-e', child], { stdout: 'stderr', interrupts })).toMatchObject({ exitCode: 0 });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    try {
      expect(processGone(pid)).toBe(false);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });

  it('with `lines` (JSON logs), its stdout and stderr come line by line: CRLF and LF ends, UTF-8 split across writes, the unfinished last line, a line that never ends cut into pieces', async () => {
    const { interrupts } = manualInterrupts();
    const got: [string, string][] = [];
    // "é" is two bytes: written one byte at a time, each half is no character.
    const script = `const w = (s, b) => new Promise((r) => s.write(b, r));
      (async () => {
        await w(process.stdout, 'deployment.apps/web configured\\r\\nsecond');
        await w(process.stdout, Buffer.from([0xc3])); await w(process.stdout, Buffer.from([0xa9]));
        await w(process.stdout, ' line\\n');
        await w(process.stderr, 'Warning: one\\nno newline at the end');
        await w(process.stderr, '\\n' + 'x'.repeat(${MAX_LINE * 2 + 5}));
      })();`;
    const out = await runDeploy([node, '-e', script], { stdout: 'inherit', lines: (stream, line) => got.push([stream, line]), interrupts });
    expect(out.exitCode).toBe(0);
    expect(got.filter(([s]) => s === 'stdout')).toEqual([['stdout', 'deployment.apps/web configured'], ['stdout', 'secondé line']]);
    const err = got.filter(([s]) => s === 'stderr').map(([, l]) => l);
    expect(err.slice(0, 2)).toEqual(['Warning: one', 'no newline at the end']);
    expect(err.slice(2).map((l) => l.length)).toEqual([MAX_LINE, MAX_LINE, 5]);
  });

  it('with `lines` and their sink, output written faster than the sink takes it waits in the command, not in our memory', async () => {
    const { interrupts } = manualInterrupts();
    // A log reader slower than the command: one line taken per turn of the event loop.
    let most = 0;
    const sink = new Writable({ highWaterMark: 16 * 1024, write: (_chunk, _enc, done) => void setImmediate(done) });
    const lines = (_: string, line: string) => {
      sink.write(`${line}\n`);
      most = Math.max(most, sink.writableLength);
    };
    // 16 MiB in lines of 1 KiB, in one write: as fast as the pipe takes them.
    const script = `process.stdout.write(('x'.repeat(1023) + '\\n').repeat(16 * 1024))`;
    const out = await runDeploy([node, '-e', script], { stdout: 'inherit', lines, linesSink: sink, interrupts });
    expect(out.exitCode).toBe(0);
    // About one read of the pipe beyond the sink's own buffer (64 KiB measured; unpaced, megabytes).
    expect(most).toBeLessThan(512 * 1024);
  });

  it('with `lines` and a sink whose reader goes away while it is full (EPIPE), the command is not held up by a sink that will never drain', async () => {
    const { interrupts } = manualInterrupts();
    // Slow for its first 100 lines (full: the output waits), then its reader is gone.
    let taken = 0;
    const write = (_chunk: unknown, _enc: unknown, done: (err?: Error) => void) => void setImmediate(() => done(++taken > 100 ? Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }) : undefined));
    const sink = new Writable({ highWaterMark: 1024, write });
    sink.on('error', () => undefined);
    const script = `process.stdout.write(('y'.repeat(99) + '\\n').repeat(20_000))`;
    let count = 0;
    const out = await runDeploy([node, '-e', script], { stdout: 'inherit', lines: (_, line) => (sink.write(`${line}\n`), count++), linesSink: sink, interrupts });
    expect(out.exitCode).toBe(0);
    expect(count).toBe(20_000);
  });

  it('with `lines`, a server the command left running holding its output open does not hold the deploy up, and is left running', async () => {
    const dir = tmp();
    const { interrupts } = manualInterrupts();
    const pidFile = join(dir, 'server.pid');
    const child = `const s = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'inherit' });
      require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(s.pid)); s.unref(); console.log('started'); process.exit(0);`;
    const got: string[] = [];
    expect(await runDeploy([node, '-e', child], { stdout: 'inherit', lines: (_, line) => got.push(line), interrupts })).toMatchObject({ exitCode: 0 });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    try {
      expect(got).toEqual(['started']);
      expect(processGone(pid)).toBe(false);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });

  it('a second interrupt kills at once', async () => {
    const dir = tmp();
    const { interrupts, fire } = manualInterrupts();
    const stubborn = `process.on('SIGINT', () => {}); require('fs').writeFileSync(${JSON.stringify(join(dir, 'ready'))}, ''); setInterval(() => {}, 1000);`;
    const running = runDeploy([node, '-e', stubborn], { stdout: 'stderr', interrupts, graceMs: 60_000 });
    await waitFor(() => existsSync(join(dir, 'ready')), 'child to start');
    fire('SIGINT');
    fire('SIGINT');
    expect((await running).signal).toBe('SIGKILL');
  });
});

/** A process's state letter from /proc (R, S, T for stopped, Z...). */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}
