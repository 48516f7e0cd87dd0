/** `seqpulse demo`, the README's first command, exactly as a newcomer runs it. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, tempDir } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait-for.js';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('seqpulse demo', () => {
  it('runs a healthy deploy (ok) and a regressing one (rollback_recommended), and leaves nothing behind', async () => {
    const cwd = tempDir();
    const r = await runCli(['demo', '--json'], { cwd, env: { SEQPULSE_HMAC_SECRET: undefined } });
    expect(r.code).toBe(0);
    const { runs, store } = JSON.parse(r.stdout);
    // --json says what the text says on stderr: the store was temporary, and how to keep one.
    expect(store).toMatchObject({ path: null, kept: false, note: expect.stringMatching(/temporary store.*cannot be looked up.*--store demo\.db/) });
    expect(runs.map((x: { verdict: string }) => x.verdict)).toEqual(['ok', 'rollback_recommended']);
    expect(runs[1].details[0]).toMatch(/^error_rate changed by \+\d+/);
    expect(runs.every((x: { samples: { failed: number } }) => x.samples.failed === 0)).toBe(true);
    // The healthy deploy is observed for the whole window; the bad one is stopped early, decisively.
    expect(runs[0].samples.post).toBe(20);
    expect(runs[0].early_exit).toBeUndefined();
    expect(runs[1].early_exit.after_samples).toBeLessThan(20);
    // Shares as docs/integration.md asks (0.42 = 42 %), not megabytes.
    const memory = runs[0].metrics.find((m: { name: string }) => m.name === 'memory_usage');
    expect(memory.baseline).toBeGreaterThan(0.3);
    expect(memory.baseline).toBeLessThan(0.6);
    // The demo keeps its runs in a temporary store, not in the user's working directory.
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(cwd)).toEqual([]);
  }, 60_000);

  it('--json interrupted by SIGTERM still prints its one JSON document, with the interrupted run, and exits 143 (stdout was left empty)', async () => {
    const cli = startCli(['demo', '--json'], { cwd: tempDir(), env: { SEQPULSE_HMAC_SECRET: undefined } });
    await waitFor(() => cli.output.stderr.includes('POST sample 1/'), 'the first deploy to be observed', 30_000);
    cli.child.kill('SIGTERM');
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(143);
    const { runs, store } = JSON.parse(r.stdout);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'interrupted', verdict: null, exit_code: 143, interrupted_by: 'SIGTERM' });
    expect(store).toMatchObject({ path: null, kept: false });
  }, 60_000);

  it('--log-format json: every line on stderr is a JSON object, the demo\'s own narration too (it was written as text between them)', async () => {
    const r = await runCli(['demo', '--log-format', 'json'], { cwd: tempDir(), env: { SEQPULSE_HMAC_SECRET: undefined } });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.trimEnd().split('\n').map((l) => JSON.parse(l) as { event: string; message: string });
    expect(lines.filter((l) => l.event === 'demo').map((l) => l.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^Example app listening on http:\/\/127\.0\.0\.1:\d+/), 'Deploy 1: v2 with a harmless change']));
    expect(lines.map((l) => l.event)).toEqual(expect.arrayContaining(['phase', 'sample', 'deploy_ended']));
  }, 60_000);

  it('--log-format bogus is a usage error before anything starts, as in every other command (it ran the whole demo, exit 0)', async () => {
    const r = await runCli(['demo', '--log-format', 'bogus'], { cwd: tempDir() });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('flags: --log-format: must be one of text, json');
    expect(r.stderr).not.toContain('Example app listening');
  });

  it('a --store path carrying escapes and a bidi override is shown escaped (it was written raw to the terminal)', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'f'), '');
    // Under a file, so the store cannot be opened and the demo stops after saying where runs are kept.
    const r = await runCli(['demo', '--store', 'f/\x1b]0;pwn\x07\u202e.db'], { cwd });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stderr).toContain('Runs are kept in f/\\u001b]0;pwn\\u0007\\u202e.db.');
  });
});
