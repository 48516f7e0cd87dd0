/**
 * The machine's wall clock steps during a run (an NTP step, a VM resumed from a pause): the
 * schedule and every deadline run on a clock that does not (src/sampling/clock.ts steadyNow). The
 * step is made inside seqpulse by test/helpers/clock-step.mjs, preloaded: Date.now() moves,
 * timers do not, as with a real step.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { closeAfterEach, fastFlags, runCli, tempDir } from '../helpers/cli.js';
import { actAtPostRequest, startTestApp, TEST_SECRET } from '../helpers/test-app.js';

const track = closeAfterEach();
const STEP = fileURLToPath(new URL('../helpers/clock-step.mjs', import.meta.url));

describe('a wall clock that steps during the POST window', () => {
  it.each([
    ['back 30 s', -30_000],
    // Forward by less than the app's signature tolerance (SPEC §4: a receiver rejects a timestamp
    // more than 300 s from its own clock, as it should).
    ['forward 2 minutes', 120_000],
  ])('%s: the run keeps its schedule, every tick is asked and judged, the verdict is the healthy one', async (_what, by) => {
    const cwd = tempDir();
    const stepFile = join(cwd, 'step-now');
    // The clock steps as the app answers the third request after the deploy.
    const app = track(await startTestApp({ secret: TEST_SECRET, metrics: actAtPostRequest(3, () => writeFileSync(stepFile, '')) }));
    const started = Date.now();
    const r = await runCli(['run', ...fastFlags(app.url), '--json', '--', process.execPath, '-e', ''], {
      cwd,
      env: { SEQPULSE_HMAC_SECRET: TEST_SECRET, NODE_OPTIONS: `--import ${STEP}`, SEQPULSE_TEST_STEP_MS: String(by), SEQPULSE_TEST_STEP_FILE: stepFile },
    });
    const tookMs = Date.now() - started;
    expect(existsSync(stepFile)).toBe(true);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ verdict: 'ok', samples: { post: 10, failed: 0 } });
    // A step back of 30 s held a run on the wall clock for those 30 s (its PRE, window and deadlines
    // take about 2 s here; the rest is Node starting on a loaded runner).
    expect(tookMs).toBeLessThan(25_000);
  }, 60_000);
});
