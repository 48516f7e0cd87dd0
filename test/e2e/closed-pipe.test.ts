/**
 * `seqpulse ... | head -1`: the reader closes the pipe before seqpulse is done writing. The built
 * CLI runs as a real process whose stdout (or stderr) is a real pipe that nobody reads any more;
 * it must stop writing there, print no stack trace, and end with its own exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeWithFinishedRuns } from '../helpers/records.js';
import { BIN, closeAfterEach, deployHook, fastFlags, tempDir } from '../helpers/cli.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';

const track = closeAfterEach();

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What seqpulse wrote to the stream that is still open. */
  other: string;
}

/**
 * Runs the CLI with `closed` (stdout or stderr) writing into a pipe whose read end is already
 * closed: every write there fails with EPIPE, from the first one on (no race with a reader that is
 * still starting or exiting). Node cannot make a bare pipe, so a few lines of Python do: os.pipe(),
 * close the read end, run the CLI with the write end, exit with its exit code.
 */
const CLOSED_PIPE = `
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
fd = 1 if sys.argv[1] == 'stdout' else 2
code = subprocess.call(sys.argv[2:], **{'stdout' if fd == 1 else 'stderr': w})
sys.exit(code if code >= 0 else 128 - code)
`;

async function withClosedPipe(args: string[], closed: 'stdout' | 'stderr', cwd: string, env: Record<string, string> = {}): Promise<Result> {
  const child: ChildProcess = spawn('python3', ['-c', CLOSED_PIPE, closed, process.execPath, BIN, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let other = '';
  (closed === 'stdout' ? child.stderr : child.stdout)!.on('data', (d: Buffer) => (other += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, other })));
}

describe('a reader that closes the pipe early', () => {
  it('--help and history end quietly with exit 0', async () => {
    const cwd = tempDir();
    await storeWithFinishedRuns(join(cwd, '.seqpulse/seqpulse.db'), 30);
    for (const args of [['--help'], ['history'], ['history', '--json'], ['help', 'run']]) {
      const r = await withClosedPipe(args, 'stdout', cwd);
      expect(r.other, args.join(' ')).toBe('');
      expect({ args, code: r.code, signal: r.signal }).toEqual({ args, code: 0, signal: null });
    }
  });

  it('an error message to a closed stderr keeps its exit code (2), not a crash (1)', async () => {
    const r = await withClosedPipe(['show', 'no-such-run', '--json'], 'stderr', tempDir());
    expect(r.code).toBe(2);
    expect(JSON.parse(r.other)).toMatchObject({ error: { code: 'not_found' } });
  });

  it('run goes on to its deploy and verdict; the exit code is the verdict\'s', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const hook = track(await deployHook(() => undefined));
    const cwd = tempDir();
    const r = await withClosedPipe(['run', ...fastFlags(app.url), '--', ...hook.argv()], 'stdout', cwd, { SEQPULSE_HMAC_SECRET: TEST_SECRET });
    expect(r.other).not.toMatch(/EPIPE|Error:|internal error/);
    expect(r.code).toBe(0);
    expect(hook.calls).toBe(1);
    // PRE and POST were all taken: the run was not cut short by the closed pipe.
    expect(app.requests).toHaveLength(13);
    expect(existsSync(join(cwd, '.seqpulse/seqpulse.db'))).toBe(true);
  });

  it('with JSON logs on a closed stderr, a deploy writing far more than a pipe holds is not held up waiting for that pipe to drain', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    // 4 MiB of lines: each one a log event on stderr, which is read no faster than stderr takes it.
    const deploy = [process.execPath, '-e', `process.stdout.write(('deploy output '.repeat(6) + '\\n').repeat(50_000))`];
    const r = await withClosedPipe(['run', ...fastFlags(app.url), '--log-format', 'json', '--json', '--', ...deploy], 'stderr', cwd, { SEQPULSE_HMAC_SECRET: TEST_SECRET });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.other)).toMatchObject({ verdict: 'ok', result: 'success' });
  });
});
