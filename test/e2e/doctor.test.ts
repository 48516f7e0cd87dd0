/** `seqpulse doctor` against a real signed app, a real SQLite store and the test run's Postgres. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';

const quick = ['--timeout', '500ms', '--retries', '0'];

describe('seqpulse doctor', () => {
  it('all good: every check passes, exit 0, and it creates nothing', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    try {
      const cwd = tempDir();
      const url = await createTestDatabase();
      const r = await runCli(['doctor', '--endpoint', app.url, '--sync', url, ...quick, '--json'], { cwd, env: { SEQPULSE_HMAC_SECRET: TEST_SECRET } });
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.ok).toBe(true);
      expect(out.checks.map((c: { name: string; level: string }) => [c.name, c.level])).toEqual([
        ['config', 'pass'], ['source', 'pass'], [`sample ${app.url}`, 'pass'], ['metrics', 'pass'], ['store', 'pass'], ['sync target', 'pass'],
      ]);
      expect(out.checks[2].detail).toMatch(/answered in \d+ ms with 7 metric\(s\)/);
      expect(out.checks[4].detail).toMatch(/not created yet; the first run creates it/);
      expect(existsSync(join(cwd, '.seqpulse'))).toBe(false);
      expect(app.requests.every((q) => q.signatureValid)).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('a wrong secret fails the sample check with the fix, exit 1, the secret never printed', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    try {
      const r = await runCli(['doctor', '--endpoint', app.url, ...quick], { cwd: tempDir(), env: { SEQPULSE_HMAC_SECRET: 'wrong-secret-123' } });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/✖ sample http:\/\/127\.0\.0\.1:\d+\/ds-metrics +.*rejected the signed request \(HTTP 401\)/);
      expect(r.stdout).toMatch(/fix: Check that --secret \/ SEQPULSE_HMAC_SECRET matches the app/);
      expect(r.stdout).toMatch(/1 check\(s\) failed|2 check\(s\) failed/);
      expect(r.stdout + r.stderr).not.toContain('wrong-secret-123');
    } finally {
      await app.close();
    }
  });

  it('names the judged metrics an app does not report (a warning: still exit 0), and the ones nothing judges', async () => {
    const app = await startTestApp({ secret: TEST_SECRET, metrics: { error_rate: 0.01, latency_p95: 120, queue_depth: 4 } });
    try {
      const r = await runCli(['doctor', '--endpoint', app.url, ...quick, '--json'], { cwd: tempDir(), env: { SEQPULSE_HMAC_SECRET: TEST_SECRET } });
      expect(r.code).toBe(0);
      const metrics = JSON.parse(r.stdout).checks.find((c: { name: string }) => c.name === 'metrics');
      expect(metrics.level).toBe('warn');
      expect(metrics.detail).toMatch(/judged and present: error_rate, latency_p95; judged but missing: .*cpu_usage.*; reported, not judged: queue_depth/);
      expect(metrics.fix).toMatch(/enabled: false/);
    } finally {
      await app.close();
    }
  });

  it('an invalid config file is a failed check naming the file and line; an unusable sync target fails too', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'seqpulse.yml'), 'project: shop\nwindow: soon\n');
    const bad = await runCli(['doctor'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/✖ config +.*seqpulse\.yml:2: window: /);

    const app = await startTestApp({ secret: TEST_SECRET });
    try {
      const r = await runCli(['doctor', '--endpoint', app.url, '--sync', 'postgres://u:pw-77@127.0.0.1:9/db', ...quick], { cwd: tempDir(), env: { SEQPULSE_HMAC_SECRET: TEST_SECRET } });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/✖ sync target +.*postgres:\/\/\*\*\*@127\.0\.0\.1:9\/db/);
      expect(r.stdout).not.toContain('pw-77');
    } finally {
      await app.close();
    }
  });
});
