import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDeploy } from '../../src/runner/deploy.js';
import type { Interrupts, StopSignal } from '../../src/runner/signals.js';
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
  });

  it('forwards SIGINT to the whole process group (child and grandchild)', async () => {
    const dir = tmp();
    const { interrupts, fire } = manualInterrupts();
    const grandchild = `process.on('SIGINT', () => { require('fs').writeFileSync(${JSON.stringify(join(dir, 'gc'))}, 'SIGINT'); process.exit(0); }); require('fs').writeFileSync(${JSON.stringify(join(dir, 'gc-ready'))}, ''); setInterval(() => {}, 1000);`;
    const child = `
      const { spawn } = require('child_process');
      const gc = spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: 'inherit' });
      process.on('SIGINT', () => { require('fs').writeFileSync(${JSON.stringify(join(dir, 'child'))}, 'SIGINT'); gc.on('exit', () => process.exit(130)); });
      require('fs').writeFileSync(${JSON.stringify(join(dir, 'ready'))}, '');
      setInterval(() => {}, 1000);`;
    const running = runDeploy([node, '-e', child], { stdout: 'stderr', interrupts });
    await waitFor(() => existsSync(join(dir, 'ready')) && existsSync(join(dir, 'gc-ready')), 'child and grandchild to start');
    fire('SIGINT');
    const out = await running;
    expect(out.exitCode).toBe(130);
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
