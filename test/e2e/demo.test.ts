/** `seqpulse demo`, the README's first command, exactly as a newcomer runs it. */
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

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
});
