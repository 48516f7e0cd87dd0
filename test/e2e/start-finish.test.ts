/** `start` and `finish` as separate processes, the way a pipeline with a separate deploy job uses them. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fastFlags, runCli, tempDir } from '../helpers/cli.js';
import { DEFAULT_METRICS, startTestApp, TEST_SECRET, type TestApp } from '../helpers/test-app.js';

const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
let app: TestApp | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('start / finish', () => {
  it('start prints the id; finish judges; a repeated finish returns the stored verdict, never a second one', async () => {
    app = await startTestApp({ secret: TEST_SECRET });
    const cwd = tempDir();
    const start = await runCli(['start', ...fastFlags(app.url), '--project', 'api', '--json'], { cwd, env });
    expect(start.code).toBe(0);
    const { deployment_id: id } = JSON.parse(start.stdout);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(app.requests.map((q) => q.phase)).toEqual(['pre', 'pre', 'pre']);

    app.setMetrics({ ...DEFAULT_METRICS, requests_per_sec: 20 }); // the "deploy" happened in another job
    // The same flags as start but the PRE one: finish refuses it (PRE is over).
    const postFlags = fastFlags(app.url).filter((flag, i, all) => flag !== '--pre-samples' && all[i - 1] !== '--pre-samples');
    const finish = await runCli(['finish', id, ...postFlags, '--json'], { cwd, env });
    expect(finish.code).toBe(1);
    const report = JSON.parse(finish.stdout);
    expect(report).toMatchObject({ deployment_id: id, project: 'api', verdict: 'rollback_recommended', result: 'success' });
    expect(report.hints.map((h: { code: string }) => h.code)).toContain('traffic_drop');
    const requestsAfterFirstFinish = app.requests.length;

    // The repeat needs neither endpoints nor a secret, samples nothing, and returns the same document and exit code.
    const again = await runCli(['finish', id.slice(0, 8), '--json'], { cwd, env: { SEQPULSE_HMAC_SECRET: undefined } });
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toEqual(report);
    expect(app.requests.length).toBe(requestsAfterFirstFinish);
  });

  it('finish reuses the endpoints stored by start', async () => {
    app = await startTestApp({ secret: TEST_SECRET });
    const cwd = tempDir();
    const start = await runCli(['start', ...fastFlags(app.url)], { cwd, env });
    const id = start.stdout.trim();
    const finish = await runCli(['finish', id, '--interval', '100ms', '--window', '500ms', '--quiet'], { cwd, env });
    expect(finish.code).toBe(0);
    expect(finish.stdout.trim()).toBe('ok');
    expect(app.requests.filter((q) => q.phase === 'post')).toHaveLength(5);
  });

  it('finish checks --settle against the window it will observe (the one start stored), not its own config\'s', async () => {
    app = await startTestApp({ secret: TEST_SECRET });
    const cwd = tempDir();
    // finish's own config says 500ms; start stored 2s, which finish uses (a file's window is no flag).
    writeFileSync(join(cwd, 'seqpulse.yml'), 'window: 500ms\n');
    const id = (await runCli(['start', ...fastFlags(app.url, ['--window', '2s'])], { cwd, env })).stdout.trim();
    // 1s is shorter than the stored 2s window: a run, not a configuration error against the 500ms.
    const ok = await runCli(['finish', id, '--settle', '1s', '--json'], { cwd, env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).metrics[0].evidence.settle_skipped).toBeGreaterThan(0);
    // Past the stored window: refused before anything is sampled, naming the window that applies.
    const id2 = (await runCli(['start', ...fastFlags(app.url, ['--window', '2s'])], { cwd, env })).stdout.trim();
    const posts = app.requests.filter((q) => q.phase === 'post').length;
    const bad = await runCli(['finish', id2, '--settle', '3s'], { cwd, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('the settle period (3s) is not shorter than the observation window (2s)');
    expect(app.requests.filter((q) => q.phase === 'post').length).toBe(posts);
  });

  it('finish --result failed -> exit 4 without sampling', async () => {
    app = await startTestApp({ secret: TEST_SECRET });
    const cwd = tempDir();
    const id = (await runCli(['start', ...fastFlags(app.url)], { cwd, env })).stdout.trim();
    const r = await runCli(['finish', id, '--result', 'failed', '--json'], { cwd, env });
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout)).toMatchObject({ result: 'failed', status: 'deploy_failed', verdict: null });
    expect(app.requests.every((q) => q.phase === 'pre')).toBe(true);
  });

  it('finish of an unknown id -> exit 2 with what to do', async () => {
    const r = await runCli(['finish', '00000000-0000-0000-0000-000000000000'], { cwd: tempDir(), env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no run with id 00000000-0000-0000-0000-000000000000/);
    expect(r.stderr).toMatch(/seqpulse history/);
  });
});
