/**
 * Hostile input that must not get past seqpulse, end to end with the built CLI: an app reporting
 * metric names and values made of terminal escapes (and a 200,000-character name), a shared store
 * whose runs carry them in project, env and command, a body with `__proto__`, a Prometheus server
 * that echoes the Authorization header. Checked on the bytes that reach the terminal and the store.
 */
import { createServer } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { closeAfterEach, fastFlags, runCli, tempDir } from '../helpers/cli.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';

const track = closeAfterEach();
const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };

/** Raw control characters, C1 included (U+009B is CSI on some terminals), and bidi overrides. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const LONG = 'x'.repeat(200_000);
const HOSTILE_NAME = '\x1b[2J\x1b]0;pwned\x07\r✔ OK  rollback averted\u202eevil\u009b31m';

function hostileMetrics(): Record<string, unknown> {
  return { error_rate: 0.01, latency_p95: 100, requests_per_sec: 200, [HOSTILE_NAME]: 1, 'nul\u0000name': 'value\x1b[31m\u0000', [LONG]: 3 };
}

describe('text from outside reaches the terminal escaped', () => {
  it('metric names and values from the app: run, show, history, report md/html, analyze print them escaped and bounded; JSON keeps them whole', async () => {
    const app = track(await startTestApp({ metrics: hostileMetrics() }));
    const dir = tempDir();
    const run = await runCli(['run', ...fastFlags(app.url), '--no-early-exit', '--', process.execPath, '-e', ''], { cwd: dir, env });
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toMatch(RAW_CONTROL);

    const id = JSON.parse((await runCli(['history', '--json'], { cwd: dir, env })).stdout)[0].id as string;
    const shown = await runCli(['show', id], { cwd: dir, env });
    expect(shown.code).toBe(0);
    expect(shown.stdout + shown.stderr).not.toMatch(RAW_CONTROL);
    expect(shown.stdout).toContain('\\x1b[2J\\x1b]0;pwned\\x07\\r');
    expect(shown.stdout).toContain('nul\\0name');
    // 200,000 characters of name (and 1,000+ samples of it) print as a bounded line.
    expect(shown.stdout.length).toBeLessThan(20_000);
    const json = JSON.parse((await runCli(['show', id, '--json'], { cwd: dir, env })).stdout) as { samples: { metrics: Record<string, unknown> | null }[] };
    const stored = json.samples.find((s) => s.metrics)!.metrics!;
    expect(stored[LONG]).toBe(3);
    expect(stored[HOSTILE_NAME]).toBe(1);
    for (const format of ['md', 'html', 'json']) {
      const report = await runCli(['report', id, '--format', format], { cwd: dir, env });
      expect(report.code).toBe(0);
      expect(report.stdout).not.toMatch(RAW_CONTROL);
      expect(report.stdout.length).toBeLessThan(200_000);
    }
    const samples = join(dir, 'post.json');
    writeFileSync(samples, JSON.stringify([{ metrics: hostileMetrics() }, { metrics: hostileMetrics() }, { metrics: hostileMetrics() }]));
    const analyzed = await runCli(['analyze', '--pre', samples, '--post', samples], { cwd: dir, env });
    expect(analyzed.stdout + analyzed.stderr).not.toMatch(RAW_CONTROL);
    // doctor shows its own lines whole and the app's names escaped and shortened: bounded, nothing raw.
    const doctor = await runCli(['doctor', '--endpoint', app.url, '--timeout', '500ms'], { cwd: dir, env });
    expect(doctor.stdout + doctor.stderr).not.toMatch(RAW_CONTROL);
    expect(doctor.stdout).toContain('\\x1b[2J');
    expect(doctor.stdout.length).toBeLessThan(5_000);
    expect(doctor.stdout).toMatch(/fix: A metric that is never reported is not judged at all: .*\(on_no_data\)\./);
  });

  it('project, env, command, summary and errors read from a (shared) store are shown escaped: history, show, verdict', async () => {
    const app = track(await startTestApp());
    const dir = tempDir();
    expect((await runCli(['run', ...fastFlags(app.url), '--', process.execPath, '-e', ''], { cwd: dir, env })).code).toBe(0);
    // Someone else's writer, or a hostile one, put escapes into the shared store.
    const db = new BetterSqlite3(join(dir, '.seqpulse', 'seqpulse.db'));
    db.prepare('update runs set project = ?, env = ?, command = ?').run('\x1b]0;owned\x07shop', 'prod\r✔ OK', JSON.stringify(['deploy', '\x1b[2J']));
    db.prepare('update samples set error = ?').run('\x1b[31mboom\x1b[0m\u0000');
    db.prepare('update verdicts set report = json_set(report, \'$.summary\', ?)').run('fine\x1b[8m hidden');
    db.close();
    const id = JSON.parse((await runCli(['history', '--json'], { cwd: dir, env })).stdout)[0].id as string;
    for (const args of [['history'], ['show', id], ['verdict', id], ['report', id, '--format', 'md']]) {
      const r = await runCli(args, { cwd: dir, env });
      expect(r.stdout + r.stderr, args.join(' ')).not.toMatch(RAW_CONTROL);
    }
    const history = await runCli(['history'], { cwd: dir, env });
    expect(history.stdout).toContain('\\x1b]0;owned\\x07shop');
  });
});

describe('a Markdown report printed to a pipe', () => {
  it('is the Markdown --out writes: its word joiner after an @ (no mention on GitHub) is kept, not written as the text \\u2060', async () => {
    const app = track(await startTestApp({ metrics: { error_rate: 0.01, latency_p95: 100 } }));
    const dir = tempDir();
    const run = await runCli(['run', ...fastFlags(app.url), '--project', '@org/oncall', '--env', 'prod@eu', '--json', '--', process.execPath, '-e', ''], { cwd: dir, env });
    expect(run.code).toBe(0);
    const id = JSON.parse(run.stdout).deployment_id as string;
    const piped = await runCli(['report', id, '--format', 'md'], { cwd: dir, env });
    expect(piped.code).toBe(0);
    const file = join(dir, 'report.md');
    expect((await runCli(['report', id, '--format', 'md', '--out', file], { cwd: dir, env })).code).toBe(0);
    expect(piped.stdout).toBe(readFileSync(file, 'utf8'));
    expect(piped.stdout).not.toContain('\\u2060');
    expect(piped.stdout).toContain('@\u2060org/oncall');
    expect(piped.stdout).toContain('prod@\u2060eu');
    expect(piped.stdout).not.toMatch(/@[\p{L}\p{N}_-]/u);
  });
});

describe('in a GitHub Actions run: step', () => {
  /** The workflow commands a runner would obey in this output: `::name` at a line's start, `##[name]` anywhere. */
  const runnerCommands = (output: string) => [...output.matchAll(/^\s*::([a-z-]+)|##\[([a-z-]+)/gim)].map((m) => m[1] ?? m[2]);

  it('seqpulse\'s own lines quoting text from outside issue no workflow command (text, JSON logs, --json); the deploy\'s own commands are the runner\'s; a file keeps the text as it is', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    const actions = { ...env, GITHUB_ACTIONS: 'true' };
    const deploy = [process.execPath, '-e', 'console.log("::notice::from the deploy")'];
    // The app's first answer: a redirect whose target the sample's warning line quotes.
    app.queueFault({ kind: 'status', status: 302, location: '/ds-metrics##[add-mask]e' });
    const text = await runCli(['run', ...fastFlags(app.url), '--', ...deploy], { cwd, env: actions });
    expect(text.code).toBe(0);
    expect(text.stderr).toContain('/ds-metrics##\\u005badd-mask]e, not followed');
    expect(runnerCommands(text.stdout + text.stderr)).toEqual(['notice']);

    app.queueFault({ kind: 'status', status: 302, location: '/ds-metrics##[add-mask]e' });
    const json = await runCli(['run', ...fastFlags(app.url), '--json', '--log-format', 'json', '--', ...deploy], { cwd, env: actions });
    expect(json.code).toBe(0);
    expect(runnerCommands(json.stdout + json.stderr)).toEqual([]);
    const report = JSON.parse(json.stdout) as { deployment_id: string };
    const events = json.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { message: string });
    expect(events.some((e) => e.message.includes('/ds-metrics##[add-mask]e, not followed'))).toBe(true);
    expect(events.some((e) => e.message === '::notice::from the deploy')).toBe(true);

    // Written to a file, the runner does not read it: the text stays as it is.
    const shown = await runCli(['show', report.deployment_id, '--json'], { cwd, env: actions });
    expect(shown.stdout).toContain('##\\u005badd-mask]');
    const file = join(cwd, 'show.json');
    const toFile = await runCli(['show', report.deployment_id, '--json'], { cwd, env: actions, prefix: ['sh', '-c', `"$0" "$@" > '${file}'`] });
    expect(toFile.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('/ds-metrics##[add-mask]e');
    // Outside GitHub Actions, nothing is changed.
    expect((await runCli(['show', report.deployment_id, '--json'], { cwd, env })).stdout).toContain('/ds-metrics##[add-mask]e');
  });
});

describe('colours on, and JSON logs', () => {
  it('analyze <id> with colours on shows the stored verdict and its time escaped: a colour code from the store is text, not obeyed', async () => {
    const app = track(await startTestApp());
    const dir = tempDir();
    expect((await runCli(['run', ...fastFlags(app.url), '--', process.execPath, '-e', ''], { cwd: dir, env })).code).toBe(0);
    const db = new BetterSqlite3(join(dir, '.seqpulse', 'seqpulse.db'));
    db.prepare("update verdicts set report = json_set(report, '$.verdict', ?, '$.created_at', ?)").run('ok\x1b[8m hidden', '2024-01-01\x1b[8m\u202e');
    db.close();
    const id = JSON.parse((await runCli(['history', '--json'], { cwd: dir, env })).stdout)[0].id as string;
    // FORCE_COLOR: our own colour codes pass (so a raw one from the store would too, unless escaped).
    const r = await runCli(['analyze', id], { cwd: dir, env: { ...env, NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(r.stdout).toContain('\x1b[1m');
    expect(r.stdout).toMatch(/stored verdict: ok\\x1b\[8m hidden .*made 2024-01-01\\x1b\[8m\\u202e\)/);
    expect(r.stdout).not.toContain('\x1b[8m');
    expect(r.stdout).not.toContain('\u202e');
  });

  it('--log-format json: C1 controls and bidi overrides from outside leave as \\u escapes, each line valid JSON with the text intact', async () => {
    // A command source that fails with them on its stderr: its error text reaches the log lines.
    const dir = tempDir();
    const script = join(dir, 'metrics.js');
    writeFileSync(script, `process.stderr.write(${JSON.stringify('down\u009b31m\u2028\u202eevil')}); process.exit(1);`);
    const r = await runCli(['run', '--source', 'command', '--source-command', `${process.execPath} ${script}`, '--pre-samples', '2', '--interval', '100ms', '--window', '200ms', '--retries', '0', '--log-format', 'json', '--', process.execPath, '-e', ''], { cwd: dir, env: {} });
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(3);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stderr).not.toContain('\u2028');
    // The sample lines carry the error as it was, in a field of its own.
    const parsed = lines.map((line) => JSON.parse(line) as { errors?: string[] });
    expect(parsed.some((l) => l.errors?.some((e) => e.endsWith('exit 1: down\u009b31m\u2028\u202eevil')))).toBe(true);
  });
});

describe('__proto__ in a body is a metric name, nothing more', () => {
  it('with two endpoints, a "__proto__" object is stored as a metric and its fields are not judged', async () => {
    // PRE and POST both carry it, so an error_rate read through a prototype would have a baseline and a regression.
    const poisoned = (rate: number) => JSON.parse(`{"requests_per_sec": 100, "latency_p95": 100, "__proto__": {"error_rate": ${rate}, "requests_per_sec": 0}}`) as Record<string, unknown>;
    const a = track(await startTestApp({ metrics: { requests_per_sec: 100, latency_p95: 100 } }));
    const b = track(await startTestApp({ metrics: (n, phase) => poisoned(phase === 'post' ? 0.9 : 0.01 + n * 1e-4) }));
    const dir = tempDir();
    const r = await runCli(['run', ...fastFlags(a.url, ['--endpoint', b.url, '--json', '--no-early-exit']), '--', process.execPath, '-e', ''], { cwd: dir, env });
    const report = JSON.parse(r.stdout) as { verdict: string; metrics: { name: string; status: string; current: number | null }[] };
    expect(report.verdict).not.toBe('rollback_recommended');
    const errorRate = report.metrics.find((m) => m.name === 'error_rate');
    expect(errorRate?.current ?? null).toBeNull();
    expect(report.metrics.find((m) => m.name === 'requests_per_sec')).toMatchObject({ status: 'ok' });
    const shown = JSON.parse((await runCli(['show', JSON.parse(r.stdout).deployment_id, '--json'], { cwd: dir, env })).stdout) as { samples: { metrics: Record<string, unknown> | null }[] };
    expect(shown.samples.some((s) => s.metrics && Object.hasOwn(s.metrics, '__proto__'))).toBe(true);
  });
});

describe('derived secrets', () => {
  it('a Prometheus server echoing Authorization: Basic gets the credentials masked in every form, stored and shown', async () => {
    // An error answer that quotes the request's headers, as some proxies do.
    const server = createServer((req, res) => {
      res.writeHead(422, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'error', errorType: 'execution', error: `rejected; headers were authorization=${req.headers.authorization} pass=s3cr%2Ft!` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    track({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    const port = (server.address() as AddressInfo).port;
    const dir = tempDir();
    writeFileSync(join(dir, 'seqpulse.yml'), 'metrics:\n  up: { threshold: 50 }\n');
    const url = `http://scraper:s3cr%2Ft!@127.0.0.1:${port}`;
    const r = await runCli(['run', '--source', 'prometheus', '--prometheus-url', url, '--query', 'up=up', '--pre-samples', '2', '--interval', '100ms', '--window', '300ms', '--timeout', '500ms', '--retries', '0', '--', process.execPath, '-e', ''], { cwd: dir, env: {} });
    const basic = Buffer.from('scraper:s3cr/t!').toString('base64');
    const id = JSON.parse((await runCli(['history', '--json'], { cwd: dir, env: {} })).stdout)[0].id as string;
    const shown = await runCli(['show', id, '--json'], { cwd: dir, env: {} });
    const everything = [r.stdout, r.stderr, shown.stdout, readFileSync(join(dir, '.seqpulse', 'seqpulse.db')).toString('latin1')].join('\n');
    expect(shown.stdout).toContain('authorization=Basic ***');
    for (const form of [basic, 's3cr/t!', 's3cr%2Ft!']) expect(everything).not.toContain(form);
  });

  it('a secret echoed inside nested values (objects, arrays) is masked like a flat field: stored and shown', async () => {
    const secret = 'pw123-nested-secret';
    const basic = Buffer.from(`u:${secret}`).toString('base64');
    const dir = tempDir();
    const script = join(dir, 'metrics.js');
    // Echoed the way a proxy or a debug field would: plain, in an Authorization value, deep in objects and arrays.
    const body = { metrics: { error_rate: 0.01, latency_p95: 100, requests_per_sec: 100, flat: secret, nested: { auth: `Basic ${Buffer.from(`u:${secret}`).toString('base64')}`, deeper: [{ [`key_${secret}`]: secret }] }, arr: [secret, { b64: Buffer.from(secret).toString('base64url') }] } };
    writeFileSync(script, `console.log(${JSON.stringify(JSON.stringify(body))});`);
    const r = await runCli(['run', '--source', 'command', '--source-command', `${process.execPath} ${script}`, '--pre-samples', '2', '--interval', '100ms', '--window', '200ms', '--json', '--', process.execPath, '-e', ''], { cwd: dir, env: { SEQPULSE_HMAC_SECRET: secret, SEQPULSE_SQL_URL: `postgres://u:${secret}@127.0.0.1:1/db` } });
    expect(r.code, r.stderr).toBe(0);
    const id = JSON.parse(r.stdout).deployment_id as string;
    const shown = await runCli(['show', id, '--json'], { cwd: dir, env: {} });
    const metrics = (JSON.parse(shown.stdout) as { samples: { metrics: Record<string, unknown> | null }[] }).samples.find((x) => x.metrics)!.metrics!;
    expect(metrics.nested).toEqual({ auth: 'Basic ***', deeper: [{ 'key_***': '***' }] });
    expect(metrics.arr).toEqual(['***', { b64: '***' }]);
    const everything = [r.stdout, r.stderr, shown.stdout, readFileSync(join(dir, '.seqpulse', 'seqpulse.db')).toString('latin1')].join('\n');
    for (const form of [secret, basic, Buffer.from(secret).toString('base64url')]) expect(everything).not.toContain(form);
  });

  it('credentials in an endpoint\'s query string (?token=, &api_key=) and in query texts are masked in output and store', async () => {
    const app = track(await startTestApp());
    const dir = tempDir();
    const token = 'tok_qs_abcdef123456';
    const endpoint = `${app.url}?instance=a&token=${token}&api_key=key-987654321`;
    const r = await runCli(['run', ...fastFlags(endpoint, ['--json']), '--', process.execPath, '-e', ''], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    // The app got the real values: masking is for what seqpulse shows and keeps.
    expect(app.requests[0]!.target).toContain(token);
    const id = JSON.parse(r.stdout).deployment_id as string;
    const shown = await runCli(['show', id], { cwd: dir, env });
    expect(shown.stdout).toContain('?instance=a&token=***&api_key=***');
    const json = await runCli(['show', id, '--json'], { cwd: dir, env });
    const everything = [r.stdout, r.stderr, shown.stdout, json.stdout, readFileSync(join(dir, '.seqpulse', 'seqpulse.db')).toString('latin1')].join('\n');
    for (const form of [token, 'key-987654321', Buffer.from(token).toString('base64')]) expect(everything).not.toContain(form);

    // A query text that quotes the source token: stored masked.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [Date.now() / 1000, '1'] } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    track({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    writeFileSync(join(dir, 'seqpulse.yml'), 'metrics:\n  up: { threshold: 50 }\n');
    const promToken = 'prom-token-5551234';
    const prom = await runCli(['start', '--source', 'prometheus', '--prometheus-url', `http://127.0.0.1:${(server.address() as AddressInfo).port}`, '--query', `up=up{token="${promToken}"}`, '--pre-samples', '1', '--interval', '100ms', '--window', '200ms', '--json'], { cwd: dir, env: { SEQPULSE_SOURCE_TOKEN: promToken } });
    expect(prom.code, prom.stderr).toBe(0);
    const started = await runCli(['show', JSON.parse(prom.stdout).deployment_id, '--json'], { cwd: dir, env: {} });
    expect(JSON.parse(started.stdout).run.settings.source_settings.queries).toEqual({ up: 'up{token="***"}' });
    expect(readFileSync(join(dir, '.seqpulse', 'seqpulse.db')).toString('latin1')).not.toContain(promToken);
  });

  it('a password that is a common word (the usual postgres://postgres:postgres@) masks what is shown, never what is judged: a metric named with that word is judged by its rule, a rollback stays one', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET, metrics: (_n, phase) => ({ error_rate: 0.01, requests_per_sec: 200, postgres_connections: phase === 'post' ? 90 : 30 }) }));
    const dir = tempDir();
    writeFileSync(join(dir, 'seqpulse.yml'), 'metrics:\n  postgres_connections: { threshold: 50, critical: true }\n');
    // The shared store is unreachable here (port 1): the push fails with a warning, the verdict is the local run's.
    const sync = 'postgres://postgres:postgres@127.0.0.1:1/runs';
    const r = await runCli(['run', ...fastFlags(app.url, ['--json', '--sync', sync, '--sync-timeout', '2s']), '--', process.execPath, '-e', ''], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ verdict: 'rollback_recommended' });
    expect(report.metrics.find((m: { name: string }) => m.name === 'postgres_connections')).toMatchObject({ status: 'regression' });
    // Where the password stands in the URL it is masked; the scheme stays the scheme.
    expect(r.stderr).toContain('postgres://***@127.0.0.1:1/runs');
    expect(r.stderr).not.toContain('postgres:postgres@');
  });

  it('a secret typed where seqpulse refuses the command line (an option after the deploy command, an unknown option) is masked in the error', async () => {
    const hmac = 'ENVHMAC-S3CRET-abc';
    const misplaced = await runCli(['run', '--endpoint', 'http://127.0.0.1:9/ds-metrics', './deploy.sh', `--token=${hmac}`], { cwd: tempDir(), env: { SEQPULSE_HMAC_SECRET: hmac } });
    const unknown = await runCli(['run', `--tokn=${hmac}`, '--json', '--', 'true'], { cwd: tempDir(), env: { SEQPULSE_HMAC_SECRET: hmac } });
    const flag = await runCli(['run', '--secret', 'FLAG-S3CRET-xyz', '--endpoint', 'http://127.0.0.1:9/ds-metrics', './deploy.sh', '--tok=FLAG-S3CRET-xyz'], { cwd: tempDir(), env: {} });
    for (const r of [misplaced, unknown, flag]) expect(r.code, r.stderr).toBe(2);
    expect(misplaced.stderr).toContain('--token=*** comes after the deploy command');
    expect(unknown.stderr).toContain("unknown option '--tokn=***'");
    expect(flag.stderr).toContain('--tok=***');
    for (const text of [misplaced.stderr, misplaced.stdout, unknown.stderr, unknown.stdout, flag.stderr]) {
      expect(text).not.toContain('S3CRET');
    }
  });
});
