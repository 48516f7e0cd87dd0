/** The reading commands and the dry run, through the built CLI. */
import { readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fastFlags, runCli, tempDir } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';
import * as record from '../helpers/records.js';
import { openStore } from '../../src/store/open.js';
import { analyze } from '../../src/core/analyze.js';
import { DEFAULT_RULES } from '../../src/core/rules.js';

describe('help and version', () => {
  it('--help lists every command with a description and the exit-code table', async () => {
    const r = await runCli(['--help'], { cwd: tempDir() });
    expect(r.code).toBe(0);
    for (const cmd of ['run', 'start', 'finish', 'analyze', 'verdict', 'history', 'show', 'report', 'doctor', 'sync', 'prune', 'init', 'demo']) {
      expect(r.stdout).toMatch(new RegExp(`\\n  ${cmd}\\b.*\\S`));
    }
    expect(r.stdout).toMatch(/Exit codes:[\s\S]*130\/143/);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const r = await runCli(['--version'], { cwd: tempDir() });
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('an unknown flag is a usage error (exit 2)', async () => {
    const r = await runCli(['run', '--windoww', '5m', '--', 'true'], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--windoww'/);
  });
});

describe('--quiet and --json beyond the verdict commands', () => {
  it('--quiet leaves what scripts use: history the ids, show the verdict, sync and prune nothing; init --json the path it wrote', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    const cwd = tempDir();
    try {
      const run = await runCli(['run', ...fastFlags(app.url), '--json', '--', process.execPath, '-e', 'process.exit(0)'], { cwd, env: { SEQPULSE_HMAC_SECRET: TEST_SECRET } });
      expect(run.code, run.stderr).toBe(0);
      const id: string = JSON.parse(run.stdout).deployment_id;
      expect((await runCli(['history', '--quiet'], { cwd })).stdout).toBe(`${id}\n`);
      expect((await runCli(['history', '--quiet', '--verdict', 'rollback_recommended'], { cwd })).stdout).toBe('');
      expect((await runCli(['show', id, '--quiet'], { cwd })).stdout).toBe('ok\n');
      for (const quiet of [['sync', '--to', join(cwd, 'team.db')], ['prune', '--older-than', '30d']]) {
        const r = await runCli([...quiet, '--quiet'], { cwd });
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout + r.stderr).toBe('');
      }
      const report = await runCli(['report', id, '--format', 'md', '-o', 'r.md', '--quiet'], { cwd });
      expect(report.code, report.stderr).toBe(0);
      expect(report.stderr).toBe('');
      expect(readFileSync(join(cwd, 'r.md'), 'utf8')).toContain(id);
    } finally {
      await app.close();
    }
    const init = await runCli(['init', '--json'], { cwd });
    expect(init.code).toBe(0);
    expect(JSON.parse(init.stdout)).toEqual({ path: join(realpathSync(cwd), 'seqpulse.yml') });
    expect(init.stderr).toBe('');
  });
});

describe('--quiet without a verdict', () => {
  it('says no_verdict (exit 3), not the run status "finished", which reads as success: run, verdict, show and analyze', async () => {
    const cwd = tempDir();
    // Nothing listens there: no sample before or after the deploy, so no verdict.
    const nobody = `http://127.0.0.1:${await freePort()}/ds-metrics`;
    const run = await runCli(['run', ...fastFlags(nobody), '--quiet', '--', process.execPath, '-e', 'process.exit(0)'], { cwd, env: { SEQPULSE_HMAC_SECRET: TEST_SECRET } });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toBe('no_verdict\n');
    const id = (await runCli(['history', '--quiet'], { cwd })).stdout.trim();
    expect(await runCli(['verdict', id, '--quiet'], { cwd })).toMatchObject({ code: 3, stdout: 'no_verdict\n' });
    expect((await runCli(['show', id, '--quiet'], { cwd })).stdout).toBe('no_verdict\n');
    writeFileSync(join(cwd, 'pre.json'), JSON.stringify({ metrics: { error_rate: 0.01 } }));
    writeFileSync(join(cwd, 'post.json'), '[]');
    expect(await runCli(['analyze', '--pre', 'pre.json', '--post', 'post.json', '--quiet'], { cwd })).toMatchObject({ code: 3, stdout: 'no_verdict\n' });
  });
});

describe('analyze --pre/--post (dry run)', () => {
  const pre = [0.01, 0.011, 0.0095].map((e) => ({ metrics: { error_rate: e, latency_p95: 120, requests_per_sec: 200 } }));

  it('judges a JSON array against JSON Lines, stores nothing', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'pre.json'), JSON.stringify(pre.map((s, i) => ({ timestamp: `2026-01-18T12:0${i}:00Z`, ...s }))));
    writeFileSync(join(cwd, 'post.jsonl'), Array.from({ length: 5 }, () => JSON.stringify({ metrics: { error_rate: 0.04, latency_p95: 125, requests_per_sec: 198 } })).join('\n'));
    const r = await runCli(['analyze', '--pre', 'pre.json', '--post', 'post.jsonl', '--json'], { cwd });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe('rollback_recommended');
    expect(report.samples).toEqual({ pre: 3, post: 5, failed: 0 });
    const history = await runCli(['history', '--json'], { cwd });
    expect(JSON.parse(history.stdout)).toEqual([]);
  });

  it('PRE samples timed after the POST ones: judged as given, with a warning that the files look swapped; none when they are in order', async () => {
    const cwd = tempDir();
    const timed = (at: number) => (s: (typeof pre)[number], i: number) => ({ timestamp: new Date(Date.UTC(2026, 0, 18, 12, at + i)).toISOString(), ...s });
    writeFileSync(join(cwd, 'late.json'), JSON.stringify(pre.map(timed(10))));
    writeFileSync(join(cwd, 'early.json'), JSON.stringify(pre.map(timed(0))));
    const swapped = await runCli(['analyze', '--pre', 'late.json', '--post', 'early.json', '--json'], { cwd });
    expect(swapped.code, swapped.stderr).toBe(0);
    expect(JSON.parse(swapped.stdout).verdict).toBe('ok');
    expect(swapped.stderr).toContain('the PRE samples (late.json) end at 2026-01-18T12:12:00.000Z, after the POST samples (early.json) begin at 2026-01-18T12:00:00.000Z: were --pre and --post swapped');
    const ordered = await runCli(['analyze', '--pre', 'early.json', '--post', 'late.json', '--json'], { cwd });
    expect(ordered.code, ordered.stderr).toBe(0);
    expect(ordered.stderr).not.toContain('swapped');
  });

  it('no errors before, 5% and rising after: rollback_recommended, exit 1 (was attention with "rate test p=NaN")', async () => {
    const cwd = tempDir();
    const lines = (n: number, rate: (i: number) => number) => Array.from({ length: n }, (_, i) => JSON.stringify({ metrics: { error_rate: rate(i), requests_per_sec: 200 } })).join('\n');
    writeFileSync(join(cwd, 'pre.jsonl'), lines(10, () => 0));
    writeFileSync(join(cwd, 'post.jsonl'), lines(10, (i) => 0.05 + i * 0.001));
    const r = await runCli(['analyze', '--pre', 'pre.jsonl', '--post', 'post.jsonl', '--json'], { cwd });
    const report = JSON.parse(r.stdout);
    expect(report.details.join('\n')).not.toContain('NaN');
    expect(report.metrics[0]).toMatchObject({ name: 'error_rate', status: 'regression' });
    expect(report.verdict).toBe('rollback_recommended');
    expect(r.code).toBe(1);
  });

  it('a single-sample file, and a healthy comparison -> ok, exit 0', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'pre.json'), JSON.stringify(pre[0]));
    writeFileSync(join(cwd, 'post.json'), JSON.stringify(pre[1]));
    const r = await runCli(['analyze', '--pre', 'pre.json', '--post', 'post.json', '--quiet'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('ok');
  });

  it('files without timestamps from an app that counts its requests: the traffic is read from requests_total at the interval setting, and says so', async () => {
    const cwd = tempDir();
    // 100 requests a second before, 30 after, with the error counters steady; no timestamps, 20 s apart.
    const counted = (n: number, perSample: number, from: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ metrics: { requests_total: from + perSample * i + (i % 2) * 37, errors_total: 5 } })).join('\n');
    writeFileSync(join(cwd, 'pre.jsonl'), counted(12, 2000, 50_000));
    writeFileSync(join(cwd, 'post.jsonl'), counted(20, 600, 10_000));
    writeFileSync(join(cwd, 'seqpulse.yml'), 'interval: 20s\n');
    const r = await runCli(['analyze', '--pre', 'pre.jsonl', '--post', 'post.jsonl', '--json'], { cwd });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe('rollback_recommended');
    const traffic = report.metrics.find((m: { name: string }) => m.name === 'requests_per_sec');
    expect(traffic).toMatchObject({ status: 'regression', evidence: { from_counter: 'requests_total', untimed_interval_s: 20 } });
    expect(traffic.baseline).toBeCloseTo(100, 0);
    expect(traffic.current).toBeCloseTo(30, 0);
    expect(report.details.join('\n')).toContain('read from requests_total (samples without timestamps taken as 20 s apart)');
  });

  it('colours only when asked: FORCE_COLOR on, --no-color and NO_COLOR off', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'pre.json'), JSON.stringify(pre));
    writeFileSync(join(cwd, 'post.json'), JSON.stringify(pre));
    const args = ['analyze', '--pre', 'pre.json', '--post', 'post.json'];
    const esc = '\u001b[';
    expect((await runCli(args, { cwd, env: { NO_COLOR: undefined, FORCE_COLOR: '1' } })).stdout).toContain(esc);
    expect((await runCli([...args, '--no-color'], { cwd, env: { NO_COLOR: undefined, FORCE_COLOR: '1' } })).stdout).not.toContain(esc);
    expect((await runCli(args, { cwd, env: { NO_COLOR: '1' } })).stdout).not.toContain(esc);
    // Not a terminal and nothing forced: plain text.
    expect((await runCli(args, { cwd, env: { NO_COLOR: undefined } })).stdout).not.toContain(esc);
  });

  it('a malformed line is reported with the file and line number, and what to do', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'pre.json'), JSON.stringify(pre));
    writeFileSync(join(cwd, 'post.jsonl'), `${JSON.stringify(pre[0])}\n{"metrics": {"error_rate": 0.01}\n`);
    const r = await runCli(['analyze', '--pre', 'pre.json', '--post', 'post.jsonl'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/post\.jsonl:2: not valid JSON.*\n {2}Fix or remove that line; in JSON Lines each line is one whole sample/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // One document that is not JSON: what the file may hold.
    writeFileSync(join(cwd, 'post.json'), '{"metrics": {"error_rate": 0.01}');
    const whole = await runCli(['analyze', '--pre', 'pre.json', '--post', 'post.json'], { cwd });
    expect(whole.code).toBe(2);
    expect(whole.stderr).toMatch(/post\.json: not valid JSON.*\n {2}Write one sample \{"metrics": \{\.\.\.\}\}, a JSON array of samples, or one sample per line\./);
  });

  it('a missing file and a sample without metrics are clear errors, with what to do', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'pre.json'), '[{"values": {}}]');
    const missing = await runCli(['analyze', '--pre', 'pre.json', '--post', 'nope.json'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: file not found\n {2}Check the path \(relative to .+\)\./);
    writeFileSync(join(cwd, 'post.json'), JSON.stringify(pre));
    const r = await runCli(['analyze', '--pre', 'pre.json', '--post', 'post.json'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pre\.json: item 0: "metrics" must be an object/);
  });
});

describe('stored runs: verdict, history, show, analyze <id>', () => {
  it('reads back what run stored', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    const cwd = tempDir();
    const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
    try {
      const run = await runCli(['run', ...fastFlags(app.url), '--project', 'billing', '--env', 'prod', '--json', '--', process.execPath, '-e', 'process.exit(0)'], { cwd, env });
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout);
      const id: string = report.deployment_id;

      const verdict = await runCli(['verdict', id.slice(0, 6), '--json'], { cwd });
      expect(verdict.code).toBe(0);
      expect(JSON.parse(verdict.stdout)).toEqual(report);

      const history = await runCli(['history', '--project', 'billing', '--json'], { cwd });
      expect(JSON.parse(history.stdout)).toMatchObject([{ id, project: 'billing', env: 'prod', verdict: 'ok', status: 'finished' }]);
      expect(JSON.parse((await runCli(['history', '--env', 'staging', '--json'], { cwd })).stdout)).toEqual([]);
      const table = await runCli(['history'], { cwd });
      expect(table.stdout).toContain(id.slice(0, 8));

      const show = await runCli(['show', id, '--json'], { cwd });
      const shown = JSON.parse(show.stdout);
      expect(shown.run.id).toBe(id);
      expect(shown.series.error_rate.pre).toHaveLength(3);
      expect(shown.series.error_rate.post).toHaveLength(10);
      // Every request stored, answered or not: under load a request can pass the 300 ms timeout, and a
      // failed PRE sample is replaced by another attempt (both are kept, the failed one with its error).
      const stored = shown.samples as { ok: boolean; error: string | null }[];
      expect(stored.filter((s) => s.ok)).toHaveLength(13);
      for (const s of stored.filter((x) => !x.ok)) expect(s.error).toEqual(expect.any(String));
      const showText = await runCli(['show', id], { cwd });
      expect(showText.stdout).toMatch(/error_rate\s+0\.01 0\.01 0\.01 \| 0\.01/);
      // Flat series on a scale that spans the allowed range (0.01 up to +50%, at least min_delta 0.005), printed after them.
      expect(showText.stdout).toMatch(/error_rate\s+▁▁▁ │ ▁{10} {2}0\.01–0\.015\n/);
      expect(showText.stdout).toMatch(new RegExp(`store +${join(realpathSync(cwd), '.seqpulse', 'seqpulse.db').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

      // Re-judged with a stricter config: the new verdict is printed, the stored one is unchanged.
      writeFileSync(join(cwd, 'strict.yml'), 'metrics:\n  custom_flag: { threshold: 10 }\n');
      const rejudged = await runCli(['analyze', id, '--config', 'strict.yml', '--json'], { cwd });
      expect(rejudged.code).toBe(0);
      expect(JSON.parse(rejudged.stdout).deployment_id).toBe(id);
      // The stored verdict comes along, to read next to the new one; the store keeps it unchanged.
      expect(JSON.parse(rejudged.stdout).stored_verdict).toEqual({ verdict: 'ok', confidence: report.confidence, summary: report.summary, created_at: report.created_at });
      const rejudgedText = await runCli(['analyze', id, '--config', 'strict.yml'], { cwd });
      expect(rejudgedText.stdout).toMatch(/stored verdict: ok \(confidence \d\.\d\d, made \d{4}-[^)]+\)\n +judged again: +ok \(confidence \d\.\d\d\) — the same verdict\n.*unchanged/);
      expect(JSON.parse((await runCli(['verdict', id, '--json'], { cwd })).stdout)).toEqual(report);
    } finally {
      await app.close();
    }
    // A run and twelve more CLI processes one after another: 6 s alone, past 30 s once on a loaded runner.
  }, 90_000);

  it('verdict of an unknown id -> exit 2', async () => {
    const r = await runCli(['verdict', 'abcdef12'], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no run with id abcdef12/);
  });
});

describe('prune', () => {
  it('reports what it deleted, and needs a valid --older-than', async () => {
    const cwd = tempDir();
    const r = await runCli(['prune', '--older-than', '30d', '--json'], { cwd });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).deleted).toEqual({ runs: 0, samples: 0 });
    const bad = await runCli(['prune', '--older-than', 'a while'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--older-than: "a while" is not a duration/);
  });

  it('an age longer than the clock has run (--older-than 99999999999d, history --since 99999999999d) means "from the start", not an internal error (Invalid time value, exit 70)', async () => {
    const cwd = tempDir();
    const prune = await runCli(['prune', '--older-than', '99999999999d', '--json'], { cwd });
    expect(prune.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(prune.code, prune.stderr).toBe(0);
    expect(JSON.parse(prune.stdout)).toEqual({ before: '1970-01-01T00:00:00.000Z', deleted: { runs: 0, samples: 0 }, kept_unknown_age: { runs: 0, listed: [] } });
    const past = await runCli(['prune', '--older-than', '100000000h'], { cwd });
    expect(past.stdout).toContain('created before 1970-01-01T00:00:00.000Z');
    const history = await runCli(['history', '--since', '99999999999d'], { cwd });
    expect(history.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(history.code, history.stderr).toBe(0);
  });

  it('history --since takes an ISO 8601 date (either form), not whatever Date.parse reads ("March 7" is in 2001)', async () => {
    const cwd = tempDir();
    for (const since of ['2026-01-18', '20260118T121500Z']) expect((await runCli(['history', '--since', since], { cwd })).code).toBe(0);
    for (const since of ['March 7', '2026-02-30', '18.01.2026']) {
      const r = await runCli(['history', '--since', since], { cwd });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--since must be a date (2026-01-18) or a duration back from now (24h, 7d), not "${since}"`);
    }
  });
});

describe('init', () => {
  it('writes a starter config that the CLI then accepts, and refuses to overwrite it', async () => {
    const cwd = tempDir();
    const first = await runCli(['init'], { cwd });
    expect(first.code).toBe(0);
    // The Quick start's order: doctor checks the file before a run depends on it.
    expect(first.stderr).toMatch(/^Wrote .*seqpulse\.yml\. Set SEQPULSE_HMAC_SECRET and adjust endpoints:, check everything with `seqpulse doctor`, then deploy through `seqpulse run -- <your deploy command>`\.\n$/);
    expect(readFileSync(join(cwd, 'seqpulse.yml'), 'utf8')).toContain('# Rules per metric');
    const again = await runCli(['init'], { cwd });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists.*\n.*--force/);
    // The starter file is valid: history loads it without complaint.
    const history = await runCli(['history'], { cwd });
    expect(history.code).toBe(0);
    expect(history.stderr).toBe('');
  });

  it('a full disk (the file size limit) leaves no half seqpulse.yml, which the next init refused to overwrite, and keeps the old one with --force', async () => {
    const cwd = tempDir();
    // `ulimit -f` counts 512-byte blocks in a POSIX shell: 1 KiB of a 3 KiB file.
    const full = { cwd, prefix: ['sh', '-c', 'ulimit -f 2 && exec "$0" "$@"'] };
    const failed = await runCli(['init'], full);
    expect(failed.code, failed.stderr).toBe(2);
    expect(failed.stderr).toContain('seqpulse.yml: cannot be written (EFBIG)');
    expect(failed.stderr).toContain('The disk (or the file size limit) is full: free some space, or write it elsewhere with --path.');
    expect(readdirSync(cwd)).toEqual([]);
    expect((await runCli(['init'], { cwd })).code).toBe(0);
    writeFileSync(join(cwd, 'seqpulse.yml'), 'project: mine\n');
    expect((await runCli(['init', '--force'], full)).code).toBe(2);
    expect(readFileSync(join(cwd, 'seqpulse.yml'), 'utf8')).toBe('project: mine\n');
    expect(readdirSync(cwd)).toEqual(['seqpulse.yml']);
  });

  it('--path with escapes and a bidi override is shown escaped; a directory says it is one', async () => {
    const cwd = tempDir();
    const r = await runCli(['init', '--path', 'x\x1b]0;pwn\x07\u202e.yml'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(r.stderr).toContain('x\\u001b]0;pwn\\u0007\\u202e.yml');
    const dir = await runCli(['init', '--path', '.', '--force'], { cwd });
    expect(dir.code).toBe(2);
    expect(dir.stderr).toContain(`${cwd}: is a directory`);
  });
});

describe('show, with an app that reports thousands of metrics', () => {
  it('draws the judged metrics first and at most a screenful of the rest, and says how many more --json lists', async () => {
    const cwd = tempDir();
    const path = join(cwd, '.seqpulse', 'seqpulse.db');
    const metrics = { ...Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`app_metric_${String(i).padStart(4, '0')}`, i])), latency_p95: 120 };
    const store = await openStore(path);
    const stored = record.run({ status: 'finished' });
    try {
      await store.createRun(stored);
      await store.addSamples([0, 1, 2].map((seq) => record.sample(stored.id, seq, metrics)));
      const judged = analyze({ pre: [{ metrics }], post: [{ metrics }], rules: { latency_p95: DEFAULT_RULES.latency_p95! } }).metrics;
      expect(judged.map((m) => m.name)).toEqual(['latency_p95']);
      await store.saveVerdicts([record.verdict(stored.id, { metrics: judged })]);
    } finally {
      await store.close();
    }
    const shown = await runCli(['show', stored.id, '--no-color'], { cwd });
    expect(shown.code, shown.stderr).toBe(0);
    const lines = shown.stdout.split('\n');
    expect(lines.length).toBeLessThan(200);
    // Drawn and listed, though it sorts after every other name.
    expect(lines.filter((l) => l.trimStart().startsWith('latency_p95'))).toHaveLength(2);
    expect(shown.stdout).toContain(`… and 1941 more metrics the app reported (seqpulse show ${stored.id} --json lists them all)`);
    const json = JSON.parse((await runCli(['show', stored.id, '--json'], { cwd })).stdout);
    expect(Object.keys(json.series)).toHaveLength(2001);
  });
});
