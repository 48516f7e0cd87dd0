/**
 * `--quiet` on the commands that make a verdict (README, Options: "print only the verdict"): the
 * progress was silenced, but the log's own info lines were not, so a quiet run still printed
 * `PRE done: 3/3 requests answered` and `Deploy command ended: exit code 0 after 65ms` (a repeated
 * finish its "already finished") on stderr. Warnings and errors stay, and so does the one line
 * finish prints to say which settings it used (README, In CI).
 */
import { describe, expect, it } from 'vitest';
import { closeAfterEach, fastFlags, runCli, tempDir } from '../helpers/cli.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';

const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
const track = closeAfterEach();
const INFO_LINES = /PRE done|Deploy command ended: exit code 0|already finished|Deploying|POST: observing/;

describe('--quiet: the verdict, and only warnings and errors besides', () => {
  it('run: stdout is the verdict, stderr has none of the info lines', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const r = await runCli(['run', ...fastFlags(app.url), '--quiet', '--', process.execPath, '-e', ''], { cwd: tempDir(), env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ok\n');
    expect(r.stderr).not.toMatch(INFO_LINES);
  });

  it('a failed deploy: deploy_failed, exit 4, and the warning that says how it ended is kept', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const r = await runCli(['run', ...fastFlags(app.url), '--quiet', '--', process.execPath, '-e', 'process.exit(7)'], { cwd: tempDir(), env });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('deploy_failed\n');
    expect(r.stderr).toContain('warning: Deploy command ended: exit code 7');
    expect(r.stderr).not.toMatch(/PRE done/);
  });

  it('start, finish and a repeated finish: the id, then the verdict twice, and no info lines but the settings finish used', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    const start = await runCli(['start', ...fastFlags(app.url), '--quiet'], { cwd, env });
    expect(start.code).toBe(0);
    const id = start.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const first = await runCli(['finish', id, '--quiet'], { cwd, env });
    const repeated = await runCli(['finish', id, '--quiet'], { cwd, env });
    for (const finish of [first, repeated]) {
      expect(finish.code).toBe(0);
      expect(finish.stdout).toBe('ok\n');
      expect(finish.stderr).not.toMatch(INFO_LINES);
    }
    expect(first.stderr).toContain(`finish uses the settings \`start\` stored for run ${id}`);
    expect(start.stderr).not.toMatch(INFO_LINES);
  });
});
