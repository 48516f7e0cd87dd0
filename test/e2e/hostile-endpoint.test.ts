/**
 * What an endpoint answers with a 200 that is not quite the document: a body led by a byte order
 * mark is read (RFC 8259 lets a parser ignore it), and an HTML page answering for the app (a proxy's
 * error or login page) is said to be one. The built CLI against a real app on 127.0.0.1.
 */
import { describe, expect, it } from 'vitest';
import { closeAfterEach, fastFlags, runCli, tempDir } from '../helpers/cli.js';
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

  it('an HTML page is reported as HTML answering for the app, not just "not JSON"', async () => {
    const app = track(await startTestApp());
    app.setMode({ kind: 'malformed', body: '<!doctype html><html><body>Sign in</body></html>' });
    const r = await runCli(['run', ...fastFlags(app.url, ['--retries', '0']), '--', process.execPath, '-e', ''], { cwd: tempDir(), env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('malformed body: HTML, not JSON (a proxy or login page answering for the app?)');
  });
});
