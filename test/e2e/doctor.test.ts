/** `seqpulse doctor` against a real signed app, a real SQLite store and the test run's Postgres. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fastFlags, runCli, tempDir } from '../helpers/cli.js';
import { frozenPeer } from '../helpers/frozen-peer.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait-for.js';
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
      expect(out.exit_code).toBe(0);
      expect(out.checks[2].detail).toMatch(/answered in [\d.]+m?s with 7 metric\(s\)/);
      expect(out.checks[4].detail).toMatch(/not created yet; the first run creates it/);
      expect(existsSync(join(cwd, '.seqpulse'))).toBe(false);
      expect(app.requests.every((q) => q.signatureValid)).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('a wrong secret fails the sample check with the fix, exit 2 (a run would stop there), the secret never printed', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    try {
      const r = await runCli(['doctor', '--endpoint', app.url, ...quick], { cwd: tempDir(), env: { SEQPULSE_HMAC_SECRET: 'wrong-secret-123' } });
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/✖ sample http:\/\/127\.0\.0\.1:\d+\/ds-metrics +.*rejected the signed request \(HTTP 401\)/);
      expect(r.stdout).toMatch(/fix: Check that the secret \(--secret or SEQPULSE_HMAC_SECRET\) matches the app/);
      expect(r.stdout).toMatch(/[12] check\(s\) failed: a run would stop before deploying \(configuration error, exit 2\)/);
      // The run it predicts: the same exit code, nothing deployed.
      const run = await runCli(['run', '--endpoint', app.url, ...quick, '--', process.execPath, '-e', ''], { cwd: tempDir(), env: { SEQPULSE_HMAC_SECRET: 'wrong-secret-123' } });
      expect(run.code).toBe(2);
      expect(r.stdout + r.stderr).not.toContain('wrong-secret-123');
    } finally {
      await app.close();
    }
  });

  it('names the judged metrics an app does not report (a warning: still exit 0), and the ones nothing judges; its fix says what the judge does', async () => {
    const metrics = { error_rate: 0.01, latency_p95: 120, requests_per_sec: 200, queue_depth: 4 };
    const app = await startTestApp({ secret: TEST_SECRET, metrics });
    try {
      const cwd = tempDir();
      const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
      const r = await runCli(['doctor', '--endpoint', app.url, ...quick, '--json'], { cwd, env });
      expect(r.code).toBe(0);
      const checks = JSON.parse(r.stdout).checks as { name: string; level: string; detail: string; fix?: string }[];
      const found = checks.find((c) => c.name === 'metrics')!;
      expect(found.level).toBe('warn');
      expect(found.detail).toBe('judged and present: error_rate, latency_p95, requests_per_sec; not reported by this app (default rules, left out of the verdict): latency_p99, cpu_usage, memory_usage, db_connections; reported, not judged: queue_depth');
      expect(found.fix).toMatch(/not judged at all: the verdict is made without it and can still be ok/);
      expect(found.fix).toMatch(/enabled: false/);
      // Default rules the app simply lacks are no typo: no check of their own.
      expect(checks.filter((c) => c.name.startsWith('rule '))).toEqual([]);
      // What the fix says is what a run does: those metrics are left out, and the verdict is ok.
      const run = await runCli(['run', ...fastFlags(app.url), '--json', '--', process.execPath, '-e', ''], { cwd, env });
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout);
      expect(report.verdict).toBe('ok');
      expect(report.metrics.map((m: { name: string }) => m.name).sort()).toEqual(['error_rate', 'latency_p95', 'requests_per_sec']);
    } finally {
      await app.close();
    }
  });

  it('a judged metric reported as text, null, an object or only negative is not "judged and present": doctor says it is not a number, as the run then finds', async () => {
    const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
    const some = await startTestApp({ secret: TEST_SECRET, metrics: { error_rate: '0.05', latency_p95: null, latency_p99: { value: 3 }, cpu_usage: -0.5, requests_per_sec: 200 } });
    try {
      const cwd = tempDir();
      const r = await runCli(['doctor', '--endpoint', some.url, ...quick, '--json'], { cwd, env });
      expect(r.code).toBe(0);
      const found = (JSON.parse(r.stdout).checks as { name: string; level: string; detail: string; fix?: string }[]).find((c) => c.name === 'metrics')!;
      expect(found.level).toBe('warn');
      expect(found.detail).toMatch(/^judged and present: requests_per_sec; reported, but not as a number, so a run would not judge them: error_rate \("0\.05" \(text\)\), latency_p95 \(null\), latency_p99 \(an object\), cpu_usage \(-0\.5 \(negative\)\);/);
      expect(found.fix).toMatch(/^Report judged metrics as JSON numbers/);
      // What a run makes of them: never judged.
      const run = await runCli(['run', ...fastFlags(some.url), '--json', '--', process.execPath, '-e', ''], { cwd, env });
      expect(JSON.parse(run.stdout).metrics.map((m: { name: string }) => m.name)).toEqual(['requests_per_sec']);
    } finally {
      await some.close();
    }
    const none = await startTestApp({ secret: TEST_SECRET, metrics: { error_rate: '0.05', requests_per_sec: '200' } });
    try {
      const r = await runCli(['doctor', '--endpoint', none.url, ...quick, '--json'], { cwd: tempDir(), env });
      expect(r.code).toBe(1);
      const found = (JSON.parse(r.stdout).checks as { name: string; level: string; detail: string; fix?: string }[]).find((c) => c.name === 'metrics')!;
      expect(found.level).toBe('fail');
      expect(found.detail).toMatch(/^judged and present: none; reported, but not as a number, so a run would not judge them: error_rate \("0\.05" \(text\)\), requests_per_sec \("200" \(text\)\);/);
      expect(found.fix).toMatch(/^No metric the rules know was reported as a number/);
    } finally {
      await none.close();
    }
  });

  it('--json keeps every reported name whole (validly encoded); the human lines shorten long names and cut long lists', async () => {
    const long = `queue_\u009b${'q'.repeat(400)}`;
    const extra = Object.fromEntries([[long, 1], ...Array.from({ length: 40 }, (_, i) => [`extra_${i}`, i])]);
    const app = await startTestApp({ secret: TEST_SECRET, metrics: { error_rate: 0.01, latency_p95: 120, requests_per_sec: 200, ...extra } });
    try {
      const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
      const json = await runCli(['doctor', '--endpoint', app.url, ...quick, '--json'], { cwd: tempDir(), env });
      // C1 characters leave as \u escapes: the document parses, and gives the name back as the app sent it.
      expect(json.stdout).not.toContain('\u009b');
      const detail = (JSON.parse(json.stdout).checks as { name: string; detail: string }[]).find((c) => c.name === 'metrics')!.detail;
      expect(detail).toContain(long);
      for (let i = 0; i < 40; i++) expect(detail).toContain(`extra_${i}`);
      expect(detail).not.toMatch(/more characters|and \d+ more/);

      const human = await runCli(['doctor', '--endpoint', app.url, ...quick], { cwd: tempDir(), env });
      expect(human.stdout).not.toContain(long);
      expect(human.stdout).toContain('queue_\\x9b');
      expect(human.stdout).toMatch(/reported, not judged: .*and 11 more/);
    } finally {
      await app.close();
    }
  });

  it('the config init writes (every default rule listed) flags only a real typo, not the default rules the app lacks', async () => {
    const app = await startTestApp({ secret: TEST_SECRET, metrics: { error_rate: 0.01, latency_p95: 120, requests_per_sec: 200 } });
    try {
      const cwd = tempDir();
      const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
      expect((await runCli(['init'], { cwd })).code).toBe(0);
      const clean = await runCli(['doctor', '--endpoint', app.url, ...quick], { cwd, env });
      expect(clean.code).toBe(0);
      expect(clean.stdout).toMatch(/not reported by this app \(default rules, left out of the verdict\): latency_p99, cpu_usage, memory_usage, db_connections/);
      expect(clean.stdout).not.toMatch(/did you mean|! rule /);
      const run = await runCli(['run', ...fastFlags(app.url), '--', process.execPath, '-e', ''], { cwd, env });
      expect(run.code).toBe(0);
      expect(run.stderr).not.toMatch(/No PRE sample reported/);

      // A misspelt rule added to it is still caught, with the name it was meant to be.
      const yml = readFileSync(join(cwd, 'seqpulse.yml'), 'utf8').replace(/^( +)latency_p99:/m, '$1latency_p59: { direction: increase, threshold: 20 }\n$1latency_p99:');
      writeFileSync(join(cwd, 'seqpulse.yml'), yml);
      const typo = await runCli(['doctor', '--endpoint', app.url, ...quick], { cwd, env });
      expect(typo.stdout).toMatch(/! rule latency_p59 +latency_p59 \(did you mean latency_p95\?\): seqpulse\.yml has a rule for it/);
      expect(typo.stdout.match(/! rule /g)).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('a rule for a metric the app never reports: "did you mean" in doctor, and run warns once, at PRE', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    try {
      const cwd = tempDir();
      const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
      writeFileSync(join(cwd, 'seqpulse.yml'), 'metrics:\n  latency_p59: { threshold: 20 }\n');
      const r = await runCli(['doctor', '--endpoint', app.url, ...quick], { cwd, env });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/! rule latency_p59 +latency_p59 \(did you mean latency_p99 or latency_p95\?\): seqpulse\.yml has a rule for it, but the app did not report it, so this rule would judge nothing/);
      expect(r.stdout).toMatch(/not reported, so a run would not judge them: latency_p59 \(did you mean latency_p99 or latency_p95\?\)/);
      expect(r.stdout).not.toMatch(/All checks passed/);
      expect(r.stdout).toMatch(/No check failed\. 2 warning\(s\) to look at above\./);

      const run = await runCli(['run', ...fastFlags(app.url), '--', process.execPath, '-e', 'console.log("deploying")'], { cwd, env });
      expect(run.code).toBe(0);
      const warnings = run.stderr.match(/warning: No PRE sample reported latency_p59 \(did you mean latency_p99 or latency_p95\?\): its rule judges nothing in this run/g) ?? [];
      expect(warnings).toHaveLength(1);
      // Said at PRE, before the deploy.
      expect(run.stderr.indexOf('No PRE sample reported')).toBeLessThan(run.stderr.indexOf('Deploy command ended'));
    } finally {
      await app.close();
    }
  });

  it('a store path a run refuses fails doctor with the message the run stops with (under a file, under /proc), both exit 2', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    try {
      const cwd = tempDir();
      const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
      writeFileSync(join(cwd, 'app.py'), 'print("hello")\n');
      const cases = [
        { store: 'app.py/x.db', message: `store ${join(cwd, 'app.py/x.db')} is under a path that is not a directory (${join(cwd, 'app.py')} is a file)` },
        { store: 'app.py/deeper/x.db', message: `store ${join(cwd, 'app.py/deeper/x.db')} is under a path that is not a directory (${join(cwd, 'app.py')} is a file)` },
        // Node's recursive mkdir spins forever under /proc: the run must stop at once, as doctor says.
        { store: '/proc/nope/x.db', message: 'store /proc/nope/x.db cannot be created: /proc is a kernel file system, where no file can be created' },
      ];
      for (const { store, message } of cases) {
        const r = await runCli(['doctor', '--endpoint', app.url, '--store', store, ...quick, '--json'], { cwd, env });
        expect(r.code, store).toBe(2);
        const check = JSON.parse(r.stdout).checks.find((c: { name: string }) => c.name === 'store');
        expect(check).toMatchObject({ level: 'fail', detail: message, fix: expect.stringMatching(/^Use --store with a path in a writable directory/) });
        const run = await runCli(['run', ...fastFlags(app.url), '--store', store, '--', process.execPath, '-e', 'require("fs").writeFileSync("deployed", "")'], { cwd, env });
        expect(run.code, store).toBe(2);
        expect(run.stderr).toContain(`seqpulse: ${message}\n`);
        expect(existsSync(join(cwd, 'deployed'))).toBe(false);
      }
      // A path doctor passes is one a run creates, every missing directory on the way.
      const fresh = await runCli(['doctor', '--endpoint', app.url, '--store', 'a/b/c/x.db', ...quick, '--json'], { cwd, env });
      expect(JSON.parse(fresh.stdout).checks.find((c: { name: string }) => c.name === 'store')).toMatchObject({ level: 'pass', detail: `a/b/c/x.db: not created yet; the first run creates it (${cwd} is writable)` });
      expect(existsSync(join(cwd, 'a'))).toBe(false);
      const run = await runCli(['run', ...fastFlags(app.url), '--store', 'a/b/c/x.db', '--', process.execPath, '-e', ''], { cwd, env });
      expect(run.code).toBe(0);
      expect(existsSync(join(cwd, 'a/b/c/x.db'))).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('an unreachable endpoint fails its check with exit 1: a run would still deploy', async () => {
    const r = await runCli(['doctor', '--endpoint', 'http://127.0.0.1:9/ds-metrics', ...quick, '--json'], { cwd: tempDir(), env: { SEQPULSE_HMAC_SECRET: TEST_SECRET } });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: false, exit_code: 1 });
    expect(out.checks.find((c: { name: string }) => c.name.startsWith('sample ')).fix).toMatch(/--timeout.*A run would still deploy/);
  });

  it('a source command that prints no JSON gets a fix about the command, not "Check the URL, that the app is up"', async () => {
    const cwd = tempDir();
    const r = await runCli(['doctor', '--source', 'command', '--source-command', 'echo not-json', ...quick, '--json'], { cwd });
    expect(r.code, r.stderr).toBe(1);
    const sample = JSON.parse(r.stdout).checks.find((c: { name: string }) => c.name === 'sample command');
    expect(sample.level).toBe('fail');
    expect(sample.fix).toMatch(/^Check that the command \(--source-command\) prints one sample as JSON/);
    expect(sample.fix).not.toMatch(/URL|the app is up/);
  });

  it('endpoints that accept and never answer are sampled together: doctor takes one timeout, not one per endpoint', async () => {
    const frozen = await frozenPeer();
    try {
      const { port, acceptedAt, closedAt } = frozen;
      const endpoints = [1, 2, 3, 4, 5].flatMap((i) => ['--endpoint', `http://127.0.0.1:${port}/ds-metrics?replica=${i}`]);
      const r = await runCli(['doctor', ...endpoints, '--timeout', '2s', '--retries', '0', '--json'], { cwd: tempDir(), env: { SEQPULSE_HMAC_SECRET: TEST_SECRET } });
      // Together: all five were waiting when the first was cut off at its timeout, 2 s after it was
      // sent (one after another, each was sent when the one before was cut off: 5 x 2 s).
      await waitFor(() => closedAt.length === 5, 'the five connections to close');
      expect(Math.max(...acceptedAt)).toBeLessThan(Math.min(...closedAt));
      expect(r.code).toBe(1);
      const samples = JSON.parse(r.stdout).checks.filter((c: { name: string }) => c.name.startsWith('sample '));
      expect(samples.map((c: { name: string; detail: string }) => [c.name, c.detail])).toEqual([1, 2, 3, 4, 5].map((i) => [`sample http://127.0.0.1:${port}/ds-metrics?replica=${i}`, 'timeout after 2s']));
    } finally {
      await frozen.close();
    }
  });

  it('an invalid config file is a failed check naming the file and line; an unusable sync target fails too', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'seqpulse.yml'), 'project: shop\nwindow: soon\n');
    const bad = await runCli(['doctor'], { cwd });
    // A configuration error: exit 2, as every other command gives for it.
    expect(bad.code).toBe(2);
    expect((await runCli(['history'], { cwd })).code).toBe(2);
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
