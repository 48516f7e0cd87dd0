/**
 * `seqpulse ... 2>&1 | slow-reader`: a pipe takes 64 KiB, the rest waits in seqpulse's own buffer.
 * Whatever seqpulse wrote must reach the reader before it exits, on stderr as on stdout. The built
 * CLI as a real process; the test reads its pipes only once it has exited (or after a bound, since
 * a CLI that waits for its reader cannot exit before that).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, closeAfterEach, fastFlags, tempDir } from '../helpers/cli.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';

const track = closeAfterEach();

describe('a reader slower than seqpulse', () => {
  it('gets all of stderr: 300 KiB of JSON log lines, none cut', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    // 3,000 lines of 100 characters from the deploy command, each a JSON log line on stderr.
    const deploy = [process.execPath, '-e', `for (let i = 0; i < 3000; i++) console.log('line ' + String(i).padStart(4, '0') + ' ' + 'x'.repeat(90))`];
    const child = spawn(process.execPath, [BIN, 'run', ...fastFlags(app.url), '--log-format', 'json', '--', ...deploy], {
      cwd: tempDir(),
      env: { ...process.env, NO_COLOR: '1', SEQPULSE_HMAC_SECRET: TEST_SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 4000))]);
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(stderr.length).toBeGreaterThan(300_000);
    const lines = stderr.trimEnd().split('\n').map((l) => JSON.parse(l) as { event?: string; message?: string });
    const output = lines.filter((l) => l.event === 'deploy_output').map((l) => l.message);
    expect(output).toHaveLength(3000);
    expect(output.at(-1)).toMatch(/^line 2999 x+$/);
  });
});
