/**
 * `--log-format json` (README, Observing seqpulse: "one JSON object per line on stderr"): the error
 * that ends a command is a line of stderr too. It was written as text (`seqpulse: ...` and its hint
 * on the next line) whatever the log format, so a log pipeline got two unparsable lines exactly when
 * something went wrong.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeAfterEach, deployHook, fastFlags, runCli, tempDir } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';

const track = closeAfterEach();

/** Every line of stderr, parsed: fails on any line that is not a JSON object. */
function jsonLines(stderr: string): Record<string, unknown>[] {
  const lines = stderr.trimEnd().split('\n');
  expect(lines.length).toBeGreaterThan(0);
  return lines.map((line) => {
    const parsed = JSON.parse(line) as unknown;
    expect(parsed, line).toBeTypeOf('object');
    return parsed as Record<string, unknown>;
  });
}

describe('--log-format json: errors are JSON lines on stderr too', () => {
  it('a configuration error, an unknown option and an unknown id: one error object each, with its code, hint and exit code', async () => {
    const cwd = tempDir();
    const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
    const badWindow = await runCli(['run', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--window', '5x', '--log-format', 'json', '--', process.execPath, '-e', ''], { cwd, env });
    expect(badWindow.code).toBe(2);
    expect(jsonLines(badWindow.stderr)).toEqual([expect.objectContaining({ level: 'error', event: 'error', code: 'config_error', exit_code: 2, message: expect.stringContaining('--window: "5x" is not a duration') })]);

    const unknown = await runCli(['run', '--log-format=json', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--bogus', '--', process.execPath, '-e', ''], { cwd, env });
    expect(unknown.code).toBe(2);
    expect(jsonLines(unknown.stderr)).toEqual([expect.objectContaining({ level: 'error', code: 'usage_error', message: "unknown option '--bogus'", hint: 'run with --help for usage' })]);

    // The config file's log_format counts too, once it is read.
    writeFileSync(join(cwd, 'seqpulse.yml'), 'log_format: json\n');
    const missing = await runCli(['verdict', 'feedbeef'], { cwd });
    expect(missing.code).toBe(2);
    expect(jsonLines(missing.stderr)).toEqual([expect.objectContaining({ level: 'error', code: 'not_found', message: expect.stringContaining('feedbeef') })]);
  });

  it('SEQPULSE_LOG_FORMAT=json and a rejected signature: exit 2, nothing deployed, every stderr line JSON; --json keeps its one document on stdout', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const hook = track(await deployHook(() => undefined));
    const r = await runCli(['run', ...fastFlags(app.url), '--json', '--', ...hook.argv()], { cwd: tempDir(), env: { SEQPULSE_HMAC_SECRET: 'another-secret', SEQPULSE_LOG_FORMAT: 'json' } });
    expect(r.code).toBe(2);
    expect(hook.calls).toBe(0);
    const errors = jsonLines(r.stderr).filter((l) => l.level === 'error');
    expect(errors).toEqual([expect.objectContaining({ event: 'error', code: 'signature_rejected', exit_code: 2, message: expect.stringContaining('HTTP 401') })]);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'signature_rejected' } });
  });

  it("a library's own warning (the Postgres client's, several lines, on sslmode=require) is one log line: JSON with JSON logs, one text line otherwise", async () => {
    // A port nothing listens on: the store cannot be reached, after the client has read the URL.
    const store = `postgres://seqpulse:pw-in-url@127.0.0.1:${await freePort()}/db?sslmode=require`;
    const json = await runCli(['history', '--store', store, '--log-format', 'json'], { cwd: tempDir() });
    expect(json.code).toBe(2);
    const lines = jsonLines(json.stderr);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', event: 'node_warning', message: expect.stringContaining("The SSL modes 'prefer', 'require', and 'verify-ca' are treated as aliases for 'verify-full'") }),
      expect.objectContaining({ level: 'error', code: 'store_error' }),
    ]);
    const text = await runCli(['history', '--store', store], { cwd: tempDir() });
    expect(text.code).toBe(2);
    const warnings = text.stderr.split('\n').filter((l) => l.includes('SSL modes'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^seqpulse: warning: SECURITY WARNING: .*libpq SSL mode definitions\.$/);
    expect(text.stderr).not.toMatch(/\(node:\d+\)|pw-in-url/);
  });

  it('--log-format text (the flag) wins over SEQPULSE_LOG_FORMAT=json: the error stays text', async () => {
    const r = await runCli(['verdict', 'feedbeef', '--log-format', 'text'], { cwd: tempDir(), env: { SEQPULSE_LOG_FORMAT: 'json' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^seqpulse: no run with id feedbeef/);
  });
});
