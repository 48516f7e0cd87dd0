/** `--store postgres://...`: the whole cycle writing to the test run's real Postgres. */
import { describe, expect, it } from 'vitest';
import { fastFlags, runCli, tempDir } from '../helpers/cli.js';
import { createReaderRole, createTestDatabase } from '../helpers/postgres.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';

const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };

/** A healthy run of project pg-shop into a fresh database of the test Postgres: its URL, the run's directory and its report. */
async function runOnPostgres() {
  const url = await createTestDatabase();
  const app = await startTestApp({ secret: TEST_SECRET });
  try {
    const cwd = tempDir();
    const r = await runCli(['run', ...fastFlags(app.url), '--store', url, '--project', 'pg-shop', '--json', '--', process.execPath, '-e', ''], { cwd, env });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe('ok');
    return { url, cwd, report };
  } finally {
    await app.close();
  }
}

describe('a Postgres store', () => {
  it('run writes the run, its samples and its verdict; history and verdict read them back', async () => {
    const { url, cwd, report } = await runOnPostgres();
    // Nothing went to the embedded default.
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${cwd}/.seqpulse`)).toBe(false);

    const history = await runCli(['history', '--store', url, '--json'], { cwd });
    expect(JSON.parse(history.stdout)).toMatchObject([{ id: report.deployment_id, project: 'pg-shop', verdict: 'ok' }]);
    const show = JSON.parse((await runCli(['show', report.deployment_id, '--store', url, '--json'], { cwd })).stdout);
    expect(show.samples).toHaveLength(13);
    const again = await runCli(['verdict', report.deployment_id, '--store', url, '--json'], { cwd });
    expect(JSON.parse(again.stdout)).toEqual(report);
  });

  it('a role that may only read the shared store (SELECT on its tables and the migration record, nothing else) runs history, show, verdict and report on it (the migrator read its lock table even on an up-to-date store: permission denied)', async () => {
    const { url, cwd, report } = await runOnPostgres();
    const id = report.deployment_id as string;
    const reader = await createReaderRole(url, ['runs', 'samples', 'verdicts', 'seqpulse_migrations']);
    const history = await runCli(['history', '--store', reader, '--json'], { cwd });
    expect(history.code, history.stderr).toBe(0);
    expect(JSON.parse(history.stdout)).toMatchObject([{ id, project: 'pg-shop', verdict: 'ok' }]);
    for (const args of [['show', id], ['verdict', id], ['report', id, '--format', 'md']]) {
      const out = await runCli([...args, '--store', reader], { cwd });
      expect(out.code, `${args[0]}: ${out.stderr}`).toBe(0);
    }
  });

  it('an unreachable Postgres is a clear error before the deploy, with the password masked', async () => {
    const secretPassword = 'pg-pass-7731';
    const r = await runCli(['run', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--store', `postgres://u:${secretPassword}@127.0.0.1:9/db`, '--', process.execPath, '-e', 'console.log("DEPLOYED")'], {
      cwd: tempDir(),
      env,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/store postgres:\/\/\*\*\*@127\.0\.0\.1:9\/db cannot be used/);
    expect(r.stdout + r.stderr).not.toContain(secretPassword);
    expect(r.stdout).not.toContain('DEPLOYED');
  });
});

describe('concurrent deployments through the shared store', () => {
  it('two overlapping runs of the same project and env both carry a concurrent_deployment hint', async () => {
    const url = await createTestDatabase();
    const app = await startTestApp({ secret: TEST_SECRET });
    const { deployHook, startCli } = await import('../helpers/cli.js');
    const { waitFor } = await import('../helpers/wait-for.js');
    // The first run's deploy lasts until the second run has begun (its PRE samples reach the app),
    // so the two overlap however long each process takes to start.
    const deploymentsSeen = () => new Set(app.requests.map((q) => q.deploymentId)).size;
    const hook = await deployHook(async () => {
      await waitFor(() => deploymentsSeen() >= 2, 'the second run to begin', 20_000);
    });
    try {
      const cwd = tempDir();
      const flags = (window: string) => [...fastFlags(app.url, ['--window', window]), '--store', url, '--project', 'twin', '--env', 'prod', '--json'];
      const long = startCli(['run', ...flags('1s'), '--', ...hook.argv()], { cwd, env });
      await waitFor(() => hook.calls === 1, 'the first run to deploy', 20_000);
      const short = await runCli(['run', ...flags('500ms'), '--', process.execPath, '-e', ''], { cwd, env });
      const first = JSON.parse((await long.done).stdout);
      const second = JSON.parse(short.stdout);
      const hint = (r: { hints: { code: string; message: string }[] }) => r.hints.find((h) => h.code === 'concurrent_deployment');
      expect(hint(second)?.message).toContain(first.deployment_id);
      expect(hint(first)?.message).toContain(second.deployment_id);
      // A run of another env is not a concurrent deployment of this one.
      const other = await runCli(['run', ...fastFlags(app.url, ['--window', '300ms']), '--store', url, '--project', 'twin', '--env', 'staging', '--json', '--', process.execPath, '-e', ''], { cwd, env });
      expect(hint(JSON.parse(other.stdout))).toBeUndefined();
    } finally {
      await Promise.all([app.close(), hook.close()]);
    }
  });
});
