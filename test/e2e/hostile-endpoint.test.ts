/**
 * What an endpoint answers with a 200 that is not quite the document: a body led by a byte order
 * mark is read (RFC 8259 lets a parser ignore it), a body that is not UTF-8 is refused saying where,
 * and an HTML page answering for the app (a proxy's error or login page) is said to be one. The built CLI against a real app on 127.0.0.1.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { closeAfterEach, fastFlags, runCli, tempDir } from '../helpers/cli.js';
import { storedSamples } from '../helpers/records.js';
import { DEFAULT_METRICS, startTestApp, TEST_SECRET } from '../helpers/test-app.js';

const track = closeAfterEach();
const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };

describe('200 bodies from the endpoint', () => {
  it('a body with a byte order mark before the JSON is a sample like any other', async () => {
    const app = track(await startTestApp());
    app.setMode({ kind: 'malformed', body: `\uFEFF${JSON.stringify({ metrics: DEFAULT_METRICS })}` });
    const r = await runCli(['run', ...fastFlags(app.url, ['--json']), '--', process.execPath, '-e', ''], { cwd: tempDir(), env });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { verdict: string; samples: { pre: number; failed: number } };
    expect(report.verdict).not.toBeNull();
    expect(report.samples).toMatchObject({ pre: 3, failed: 0 });
  });

  it('a body that is not UTF-8 (a Latin-1 "café" as a metric name) is a malformed body naming the byte, not a sample holding a metric "caf\uFFFD" no one sent', async () => {
    const app = track(await startTestApp());
    const body = Buffer.concat([Buffer.from('{"metrics": {"error_rate": 0.01, "caf'), Buffer.from([0xe9]), Buffer.from('": 1}}')]);
    app.setMode({ kind: 'malformed', body });
    const cwd = tempDir();
    const r = await runCli(['run', ...fastFlags(app.url, ['--retries', '0']), '--', process.execPath, '-e', ''], { cwd, env });
    expect(r.code, r.stderr).toBe(3);
    const samples = await storedSamples(cwd);
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) {
      expect(s.ok).toBe(false);
      expect(s.error).toBe('malformed body: line 1: not UTF-8 text: byte 0xe9 at column 38 (byte offset 37 of the body)');
    }
  });

  it('an HTML page is reported as HTML answering for the app, not just "not JSON"', async () => {
    const app = track(await startTestApp());
    app.setMode({ kind: 'malformed', body: '<!doctype html><html><body>Sign in</body></html>' });
    const r = await runCli(['run', ...fastFlags(app.url, ['--retries', '0']), '--', process.execPath, '-e', ''], { cwd: tempDir(), env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('malformed body: HTML, not JSON (a proxy or login page answering for the app?)');
  });

  it('PRE samples carrying 240,000 names close to a rule\'s metric (within 1 MiB each): the deploy runs and the run ends with a verdict, not an internal error (Math.min over every near name overflowed the stack)', async () => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    // latency_p99 is a default rule this app does not report: every name here is within 3 edits of it.
    const near: string[] = [];
    for (const x of alphabet) for (const y of alphabet) for (const z of alphabet) near.push(`latency_p99${x}${y}${z}`);
    const per = 48_000;
    const app = track(
      await startTestApp({
        metrics: (n) => {
          const metrics: Record<string, unknown> = { error_rate: 0.01, requests_per_sec: 100 };
          const k = (n - 1) % Math.ceil(near.length / per);
          for (const name of near.slice(k * per, (k + 1) * per)) metrics[name] = 1;
          return metrics;
        },
      }),
    );
    const cwd = tempDir();
    const deployed = `${cwd}/deployed`;
    const r = await runCli(['run', '--endpoint', app.url, '--pre-samples', '5', '--interval', '300ms', '--window', '1s', '--timeout', '10s', '--retries', '0', '--json', '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(deployed)}, '')`], { cwd, env });
    expect(r.stderr).not.toMatch(/internal error|Maximum call stack/);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(deployed)).toBe(true);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'ok', result: 'success', samples: { pre: 5, failed: 0 } });
    // The warning after PRE still names the closest ones.
    expect(r.stderr).toMatch(/No PRE sample reported .*latency_p99 \(did you mean latency_p99\w{3} or latency_p99\w{3}\?\)/);
  });
});
