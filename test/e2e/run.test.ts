/** `seqpulse run` end to end: the built CLI as a real process, a real signed app on loopback, a real SQLite store. */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { closeAfterEach, deployHook, fastFlags, faultFlags, runCli, tempDir } from '../helpers/cli.js';
import { DEFAULT_METRICS, startTestApp, TEST_SECRET, type TestApp } from '../helpers/test-app.js';

const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
const track = closeAfterEach();

async function storedRun(cwd: string, id: string) {
  const store = await openStore(join(cwd, '.seqpulse/seqpulse.db'));
  try {
    return { run: await store.getRun(id), samples: await store.getSamples(id), verdict: await store.getVerdict(id) };
  } finally {
    await store.close();
  }
}

describe('seqpulse run', () => {
  it('healthy deploy -> ok, exit 0, one JSON document, everything stored, every request signed', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const hook = track(await deployHook(() => undefined));
    const cwd = tempDir();
    const r = await runCli(['run', ...fastFlags(app.url), '--project', 'shop', '--env', 'staging', '--json', '--', ...hook.argv()], { cwd, env });

    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ project: 'shop', env: 'staging', verdict: 'ok', result: 'success', status: 'finished', exit_code: 0 });
    expect(report.samples).toEqual({ pre: 3, post: 10, failed: 0 });
    // Confidence is the strength of the evidence: 3 PRE samples of a low-traffic app cannot show an
    // error rate is fine (a +50 % rise in 30 requests could go unseen), and the hint says so.
    expect(report.confidence).toBeLessThan(0.5);
    expect(report.hints.map((h: { code: string }) => h.code)).toContain('baseline_unstable');
    expect(report.metrics.map((m: { name: string }) => m.name).sort()).toEqual(Object.keys(DEFAULT_METRICS).sort());
    // The deploy command's output went to stderr, so stdout is exactly the JSON document.
    expect(r.stderr).toContain('deployed');
    expect(hook.calls).toBe(1);

    expect(app.requests).toHaveLength(13);
    expect(app.allSignaturesValid()).toBe(true);
    expect(app.anyNonceRepeated()).toBe(false);
    expect(new Set(app.requests.map((q) => q.deploymentId))).toEqual(new Set([report.deployment_id]));
    expect(app.requests.map((q) => q.phase)).toEqual([...Array(3).fill('pre'), ...Array(10).fill('post')]);
    expect(app.requests[0]!.headers['user-agent']).toMatch(/^seqpulse\/\d+\.\d+\.\d+/);

    const stored = await storedRun(cwd, report.deployment_id);
    expect(stored.run).toMatchObject({ status: 'finished', result: 'success', deploy_exit_code: 0, project: 'shop', env: 'staging' });
    expect(stored.samples).toHaveLength(13);
    expect(stored.samples[0]!.metrics).toEqual(DEFAULT_METRICS);
    expect(stored.verdict).toEqual(report);
  });

  it('a known metric the app always reports as a string is stored, never judged (SPEC §4): ok, not attention for "missing data"', async () => {
    const metrics = { ...DEFAULT_METRICS, latency_p99: 'n/a' };
    const app = track(await startTestApp({ secret: TEST_SECRET, metrics }));
    const cwd = tempDir();
    const r = await runCli(['run', ...fastFlags(app.url), '--json', '--', process.execPath, '-e', 'process.exit(0)'], { cwd, env });
    const report = JSON.parse(r.stdout);
    expect(report.summary).not.toMatch(/missing data/);
    expect(report).toMatchObject({ verdict: 'ok', exit_code: 0 });
    expect(r.code).toBe(0);
    expect(report.metrics.map((m: { name: string }) => m.name)).not.toContain('latency_p99');
    expect((await storedRun(cwd, report.deployment_id)).samples[0]!.metrics).toEqual(metrics);
  });

  it('error regression after the deploy -> rollback_recommended, exit 1, with the reason', async () => {
    // 2000 requests/s: at a 100 ms interval, 200 requests per sample, enough for the count-aware error test.
    const traffic = { ...DEFAULT_METRICS, requests_per_sec: 2000 };
    const app = track(await startTestApp({ secret: TEST_SECRET, metrics: traffic }));
    const hook = track(await deployHook(() => app.setMetrics({ ...traffic, error_rate: 0.09 })));
    const r = await runCli(['run', ...fastFlags(app.url), '--no-early-exit', '--json', '--', ...hook.argv()], { cwd: tempDir(), env });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe('rollback_recommended');
    expect(report.details[0]).toMatch(/^error_rate changed by \+800% \(baseline: 0\.01, current: 0\.09\); rate test p=[\d.e-]+: about 6 errors in 600 requests before, 162 in 1800 after \(estimated from the rate and the request rate\)/);
    expect(report.early_exit).toBeUndefined();
    expect(report.hints.map((h: { code: string }) => h.code)).toContain('errors_without_traffic_change');
  });

  it('an outage ends the window early with rollback_recommended (early exit)', async () => {
    const traffic = { ...DEFAULT_METRICS, requests_per_sec: 2000 };
    const app = track(await startTestApp({ secret: TEST_SECRET, metrics: traffic }));
    const hook = track(await deployHook(() => app.setMetrics({ ...traffic, error_rate: 0.6, requests_per_sec: 300 })));
    const cwd = tempDir();
    const r = await runCli(['run', ...fastFlags(app.url, ['--window', '5s']), '--json', '--', ...hook.argv()], { cwd, env });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe('rollback_recommended');
    expect(report.early_exit.planned_samples).toBe(50);
    expect(report.early_exit.after_samples).toBeLessThan(50);
    expect(report.summary).toMatch(/decided early, after \d+ of 50 POST samples/);
    expect(app.requests.filter((q) => q.phase === 'post').length).toBeLessThan(50);
    expect(r.stderr).toMatch(/Regression decisive after \d+ of 50 POST samples/);

    // Judged again without the two rules that ended it: not a rollback, so not "decided early" either.
    writeFileSync(join(cwd, 'lenient.yml'), 'metrics:\n  error_rate: { enabled: false }\n  requests_per_sec: { enabled: false }\n');
    const again = await runCli(['analyze', report.deployment_id, '--config', 'lenient.yml'], { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/✔ OK/);
    expect(again.stdout).not.toMatch(/decided early/);
    expect(again.stdout).toMatch(new RegExp(`on the ${report.early_exit.after_samples} of 50 POST samples taken before the window was ended early`));
    expect(again.stdout).toMatch(/stored verdict: rollback_recommended .*\n +judged again: +ok .* — a different verdict/);
  });

  /** An app that reports only its counters (no error_rate, no requests_per_sec), and a whole run against it. */
  const countingApp = async (tick: (phase: string | undefined) => { requests: number; errors: number }) => {
    let errors = 0;
    let requests = 0;
    return track(
      await startTestApp({
        secret: TEST_SECRET,
        metrics: (_n, phase) => {
          const served = tick(phase);
          requests += served.requests;
          errors += served.errors;
          return { errors_total: errors, requests_total: requests, latency_p95: 120 };
        },
      }),
    );
  };
  const runAgainst = (app: TestApp, cwd: string) => runCli(['run', ...fastFlags(app.url, ['--pre-samples', '5']), '--no-early-exit', '--json', '--', process.execPath, '-e', ''], { cwd, env });

  it('an app that reports only errors_total/requests_total: the error rate is judged from their deltas (SPEC §4)', async () => {
    // 200 requests a sample; 2 errors each before the deploy (1 %), 20 after (10 %).
    const app = await countingApp((phase) => ({ requests: 200, errors: phase === 'post' ? 20 : 2 }));
    const r = await runAgainst(app, tempDir());
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe('rollback_recommended');
    const errorRate = report.metrics.find((m: { name: string }) => m.name === 'error_rate');
    expect(errorRate).toMatchObject({ baseline: 0.01, current: 0.1, status: 'regression' });
    expect(errorRate.evidence.counts.estimated).toBe(false);
    expect(report.details[0]).toMatch(/^error_rate changed by \+900% .*\(counted/);
  });

  it('an app that counts its requests (requests_total) and reports no request rate: losing its traffic is judged from the counter', async () => {
    // 200 requests a tick before the deploy, 60 after (ticks 100 ms apart: 2000 a second, then 600), 1 % errors throughout.
    const app = await countingApp((phase) => (phase === 'post' ? { requests: 60, errors: 0.6 } : { requests: 200, errors: 2 }));
    const cwd = tempDir();
    const r = await runAgainst(app, cwd);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe('rollback_recommended');
    const traffic = report.metrics.find((m: { name: string }) => m.name === 'requests_per_sec');
    expect(traffic).toMatchObject({ baseline: 2000, current: 600, status: 'regression', evidence: { from_counter: 'requests_total' } });
    expect(report.details.find((d: string) => d.startsWith('requests_per_sec'))).toMatch(/, read from requests_total$/);
    expect(report.metrics.find((m: { name: string }) => m.name === 'error_rate')).toMatchObject({ status: 'ok' });
    // Judged again from the store, the same rates come from the same counters.
    const again = await runCli(['analyze', report.deployment_id, '--json'], { cwd, env });
    expect(JSON.parse(again.stdout).metrics.find((m: { name: string }) => m.name === 'requests_per_sec')).toMatchObject({ baseline: 2000, current: 600 });
  });

  it('one URL in front of three processes, each with its own counters, answering in turn: their counters are not read as counts, the run is never ok on them', async () => {
    // Healthy throughout: each process serves 100 requests, 1 error, between two of its answers.
    const processes = [{ requests: 90_000, errors: 900 }, { requests: 40_000, errors: 400 }, { requests: 7_000, errors: 70 }];
    const app = track(
      await startTestApp({
        secret: TEST_SECRET,
        metrics: (n) => {
          const p = processes[n % processes.length]!;
          p.requests += 100;
          p.errors += 1;
          return { errors_total: p.errors, requests_total: p.requests, latency_p95: 120 };
        },
      }),
    );
    const r = await runCli(['run', ...fastFlags(app.url, ['--pre-samples', '8']), '--json', '--', process.execPath, '-e', ''], { cwd: tempDir(), env });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe('attention');
    expect(report.summary).toBe("Needs attention: error_rate, requests_per_sec could not be read (their counters are not one process's)");
    expect(report.metrics.map((m: { name: string }) => m.name)).toEqual(['latency_p95']);
    expect(report.hints.map((h: { code: string }) => h.code)).toContain('counters_not_monotonic');
    expect(report.details).toContainEqual(expect.stringMatching(/^requests_total: went down and back up \d+ times before the deploy and \d+ after: not one process's counter/));
  });

  // 300 ms: the pause outlasts the tick, and the next ticks send nothing until it is over. 2 s: the
  // tick waits the pause out and asks again, while the ticks that started meanwhile wait too.
  it.each(['300ms', '2s'])('429 with Retry-After, a timeout of %s: the endpoint is not asked again before the pause is over, even at the next ticks (SPEC §4)', async (timeout) => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    app.queueFault({ kind: 'status', status: 429, retryAfter: 1 });
    // Ticks 400 ms apart (a request already in flight when the 429 came back could not have known):
    // the pause holds the next two, later and extra ticks answer.
    const r = await runCli(['run', ...fastFlags(app.url, ['--pre-samples', '6', '--interval', '400ms', '--timeout', timeout]), '--json', '--', process.execPath, '-e', ''], { cwd: tempDir(), env });
    expect(r.code).toBe(0);
    const [limited, ...later] = app.requests;
    expect(limited!.response).toBe('status');
    expect(later.length).toBeGreaterThan(0);
    for (const q of later) expect(q.time - limited!.time).toBeGreaterThanOrEqual(1_000 - 5);
    // The ticks after the pause (and PRE's extra ones) answered: a full baseline all the same.
    expect(JSON.parse(r.stdout).samples.pre).toBe(6);
  });

  it("a 503's pause asked by the last request before the deploy holds the endpoint into POST, but is not counted against the deploy: no rollback on requests never sent", async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    app.setPlan((_n, phase, k) => (phase === 'pre' && k === 3 ? { kind: 'status', status: 503, retryAfter: 60 } : undefined));
    const r = await runCli(['run', ...faultFlags(app.url), '--json', '--', process.execPath, '-e', ''], { cwd: tempDir(), env });
    const report = JSON.parse(r.stdout);
    // Held for the whole window (the pause is a minute): nothing was asked after the deploy.
    expect(app.requests.filter((q) => q.phase === 'post')).toHaveLength(0);
    expect(report.failing_endpoints).toBeUndefined();
    expect(report.verdict).not.toBe('rollback_recommended');
    expect(r.code, r.stderr).toBe(3);
  });

  it.each([[undefined], [0], [1]])('an endpoint throttling every request after the deploy (429, Retry-After %s) is no verdict, never a rollback: the app throttling seqpulse is not the app failing', async (retryAfter) => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    app.setPlan((_n, phase) => (phase === 'post' ? { kind: 'status', status: 429, ...(retryAfter === undefined ? {} : { retryAfter }) } : undefined));
    const r = await runCli(['run', ...fastFlags(app.url), '--json', '--', process.execPath, '-e', ''], { cwd: tempDir(), env });
    const report = JSON.parse(r.stdout);
    expect(app.requests.filter((q) => q.phase === 'post').length).toBeGreaterThan(0);
    expect(report.failing_endpoints).toBeUndefined();
    expect(report.verdict).toBeNull();
    expect(r.code, r.stderr).toBe(3);
  });

  it('a pause of a day asked once after the deploy is one failed request, not every tick of the window failing: no data, no verdict (exit 3), never a rollback', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    let deployedAt = 0;
    const hook = track(await deployHook(() => {
      deployedAt = app.requests.length;
      app.queueFault({ kind: 'status', status: 429, retryAfter: 86_400 });
    }));
    const r = await runCli(['run', ...fastFlags(app.url), '--json', '--', ...hook.argv()], { cwd: tempDir(), env });
    expect(r.code, r.stderr).toBe(3);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBeNull();
    expect(report.failing_endpoints).toBeUndefined();
    // One POST request was sent (the 429); every later tick held off without asking.
    expect(app.requests.length - deployedAt).toBe(1);
    expect(JSON.stringify(report)).not.toMatch(/failed \d+ of \d+ POST requests/);
  });

  it('--log-format json: every line of the run carries deployment_id, phase and event, the deploy command\'s own output too (README, Observing seqpulse)', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    // What kubectl prints, on both streams, one with a terminal colour and the run's secret in it.
    const deploy = [process.execPath, '-e', `console.log('deployment.apps/web configured'); console.error('\\u001b[33mWarning:\\u001b[0m token ' + process.argv[1])`, TEST_SECRET];
    const r = await runCli(['run', ...fastFlags(app.url), '--log-format', 'json', '--json', '--', ...deploy], { cwd: tempDir(), env });
    expect(r.code).toBe(0);
    const id = JSON.parse(r.stdout).deployment_id;
    // Every line of stderr is a log object: nothing raw between them.
    const lines = r.stderr.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.event)).toEqual(expect.arrayContaining(['phase', 'sample', 'pre_done', 'deploy_output', 'deploy_ended']));
    const partial = lines.filter((l) => l.deployment_id !== id || typeof l.phase !== 'string' || typeof l.event !== 'string');
    expect(partial).toEqual([]);
    const output = lines.filter((l) => l.event === 'deploy_output').map((l) => [l.stream, l.message, l.phase]);
    expect(output).toEqual([
      ['stdout', 'deployment.apps/web configured', 'deploy'],
      ['stderr', '\u001b[33mWarning:\u001b[0m token ***', 'deploy'],
    ]);
    expect(r.stderr).not.toContain(TEST_SECRET);
  });

  it('--dry-run reports the rollback it would give, and exits 0', async () => {
    const traffic = { ...DEFAULT_METRICS, requests_per_sec: 2000 };
    const app = track(await startTestApp({ secret: TEST_SECRET, metrics: traffic }));
    const hook = track(await deployHook(() => app.setMetrics({ ...traffic, error_rate: 0.2 })));
    const r = await runCli(['run', ...fastFlags(app.url), '--dry-run', '--json', '--', ...hook.argv()], { cwd: tempDir(), env });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ verdict: 'rollback_recommended', exit_code: 0, dry_run: { exit_code: 1 } });
  });

  it('--baseline history compares POST with the POST samples of earlier good runs (no PRE needed)', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    const noop = [process.execPath, '-e', ''];
    const good: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['run', ...fastFlags(app.url), '--project', 'hist', '--json', '--', ...noop], { cwd, env });
      expect(JSON.parse(r.stdout).verdict).toBe('ok');
      good.unshift(JSON.parse(r.stdout).deployment_id);
    }
    const hook = track(await deployHook(() => app.setMetrics({ ...DEFAULT_METRICS, latency_p95: 240, latency_p99: 400 })));
    const r = await runCli(['run', ...fastFlags(app.url, ['--pre-samples', '0', '--baseline', 'history']), '--project', 'hist', '--json', '--', ...hook.argv()], { cwd, env });
    const report = JSON.parse(r.stdout);
    expect(report.baseline).toEqual({ kind: 'history', runs: good, samples: 20 });
    expect(report.verdict).toBe('rollback_recommended');
    expect(report.samples.pre).toBe(20);
    expect(r.code).toBe(1);
  });

  it('human output: the table and the verdict on stdout, progress on stderr', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const hook = track(await deployHook(() => app.setMetrics({ ...DEFAULT_METRICS, latency_p95: 200 })));
    const r = await runCli(['run', ...fastFlags(app.url), '--', ...hook.argv()], { cwd: tempDir(), env });
    expect(r.code).toBe(0); // attention does not fail with the default --fail-on rollback
    expect(r.stdout).toMatch(/ATTENTION/);
    expect(r.stdout).toMatch(/latency_p95[\s│]+120[\s│]+200[\s│]+\+66\.7%[\s│]+\+30%[\s│]+regression/);
    expect(r.stdout).toContain('deployed'); // the deploy command's own output is visible
    expect(r.stderr).toMatch(/POST sample 10\/10/);
    expect(r.stdout).not.toContain('\u001b['); // NO_COLOR
  });

  it('several endpoints are sampled together and aggregated per metric (traffic summed, latency averaged)', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const second = await startTestApp({ secret: TEST_SECRET, metrics: { ...DEFAULT_METRICS, latency_p95: 180 } });
    try {
      const r = await runCli(['run', ...fastFlags(app.url, ['--endpoint', second.url]), '--json', '--', process.execPath, '-e', ''], { cwd: tempDir(), env });
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout);
      const metric = (name: string) => report.metrics.find((m: { name: string }) => m.name === name);
      expect(metric('requests_per_sec').baseline).toBe(400);
      expect(metric('latency_p95').baseline).toBe(150);
      expect(app.requests).toHaveLength(13);
      expect(second.requests).toHaveLength(13);
      // The same tick reaches both instances with the same deployment id and phase.
      expect(second.requests.map((q) => q.phase)).toEqual(app.requests.map((q) => q.phase));
    } finally {
      await second.close();
    }
  });

  it('--fail-on attention turns attention into exit 1', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const hook = track(await deployHook(() => app.setMetrics({ ...DEFAULT_METRICS, latency_p95: 200 })));
    const r = await runCli(['run', ...fastFlags(app.url, ['--fail-on', 'attention']), '--quiet', '--', ...hook.argv()], { cwd: tempDir(), env });
    expect(r.code).toBe(1);
    // The deploy command's own output stays visible; seqpulse itself prints only the verdict.
    expect(r.stdout.trim().split('\n')).toEqual(['deployed', 'attention']);
  });

  it('wrong secret -> exit 2 before the deploy, which never runs, and nothing stored', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const hook = track(await deployHook(() => undefined));
    const cwd = tempDir();
    const r = await runCli(['run', ...fastFlags(app.url), '--', ...hook.argv()], { cwd, env: { SEQPULSE_HMAC_SECRET: 'not-the-secret' } });
    expect(r.code).toBe(2);
    expect(hook.calls).toBe(0);
    expect(r.stderr).toMatch(/rejected the signed request \(HTTP 401\)/);
    expect(r.stderr).toMatch(/SEQPULSE_HMAC_SECRET/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    // Signature errors are never retried.
    expect(app.requests.length).toBeLessThanOrEqual(3);
    const store = await openStore(join(cwd, '.seqpulse/seqpulse.db'));
    expect(await store.listRuns({})).toEqual([]);
    await store.close();
  });

  it('endpoint down before the deploy -> warns, deploys anyway, and the verdict is not ok', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET, mode: { kind: 'status', status: 503 } }));
    const hook = track(await deployHook(() => app.setMode({ kind: 'healthy' })));
    const r = await runCli(['run', ...fastFlags(app.url), '--json', '--', ...hook.argv()], { cwd: tempDir(), env });
    expect(hook.calls).toBe(1);
    expect(r.stderr).toMatch(/No endpoint answered before the deploy; deploying anyway/);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).not.toBe('ok');
    expect(report.verdict).toBe('attention');
    expect(report.samples.pre).toBe(0);
    expect(report.hints.map((h: { code: string }) => h.code)).toContain('no_baseline');
  });

  it('503s, hangs and malformed bodies mid-window -> still a verdict, failures stored', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const hook = track(
      await deployHook(() => {
        app.queueFault({ kind: 'status', status: 503 }, 4);
        app.queueFault({ kind: 'hang' }, 2);
        app.queueFault({ kind: 'malformed' }, 3);
        app.queueFault({ kind: 'reset' }, 2);
      }),
    );
    const cwd = tempDir();
    const r = await runCli(['run', ...fastFlags(app.url), '--json', '--', ...hook.argv()], { cwd, env });
    expect([0, 1]).toContain(r.code);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).not.toBeNull();
    expect(report.status).toBe('finished');
    const stored = await storedRun(cwd, report.deployment_id);
    const errors = stored.samples.filter((s) => !s.ok || s.attempts > 1);
    expect(errors.length).toBeGreaterThan(0);
    expect(app.allSignaturesValid()).toBe(true);
    expect(app.anyNonceRepeated()).toBe(false);
  });

  it('no shell unless --shell: shell syntax in the command is passed as plain arguments; with --shell it is the shell\'s', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    const marker = join(cwd, 'injected');
    // Without --shell, "&&" and the touch are arguments of the first command (node ignores them).
    const plain = await runCli(['run', ...fastFlags(app.url), '--json', '--', process.execPath, '-e', '', '&&', 'touch', marker], { cwd, env });
    expect(plain.code).toBe(0);
    expect(existsSync(marker)).toBe(false);
    const shell = await runCli(['run', ...fastFlags(app.url), '--json', '--shell', '--', `"${process.execPath}" -e "" && touch "${marker}"`], { cwd, env });
    expect(shell.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect((await storedRun(cwd, JSON.parse(shell.stdout).deployment_id)).run?.command).toEqual(['/bin/sh', '-c', `"${process.execPath}" -e "" && touch "${marker}"`]);
  });

  it('deploy exits 7 -> exit 4, result failed, 7 recorded, no POST sampling', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const hook = track(await deployHook(() => undefined));
    const cwd = tempDir();
    const r = await runCli(['run', ...fastFlags(app.url), '--json', '--', ...hook.argv({ exitCode: 7 })], { cwd, env });
    expect(r.code).toBe(4);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ verdict: null, result: 'failed', deploy_exit_code: 7, status: 'deploy_failed', exit_code: 4 });
    expect(report.summary).toMatch(/exit code 7/);
    expect(app.requests.every((q) => q.phase === 'pre')).toBe(true);
    expect((await storedRun(cwd, report.deployment_id)).run).toMatchObject({ status: 'deploy_failed', result: 'failed', deploy_exit_code: 7 });
  });

  it('deploy killed by a signal (the OOM killer\'s SIGKILL) -> exit 4, no exit code, the signal in the JSON, the text, Markdown and `show`', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    const r = await runCli(['run', ...fastFlags(app.url), '--json', '--shell', '--', 'kill -9 $$'], { cwd, env });
    expect(r.code).toBe(4);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ verdict: null, result: 'failed', deploy_exit_code: null, deploy_signal: 'SIGKILL', status: 'deploy_failed', exit_code: 4 });
    expect(report.summary).toMatch(/killed by SIGKILL/);
    const id = report.deployment_id;
    const text = await runCli(['verdict', id], { cwd, env });
    expect(text.stdout).toMatch(/deploy failed \(killed by SIGKILL\)/);
    const md = await runCli(['report', id, '--format', 'md'], { cwd, env });
    expect(md.stdout).toMatch(/deploy failed \(killed by SIGKILL\)/);
    const show = await runCli(['show', id], { cwd, env });
    expect(show.stdout).toMatch(/deploy failed, killed by SIGKILL/);
  });

  it('a deploy command that does not exist -> exit 2 naming it, before anything is sampled or stored', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const cwd = tempDir();
    const r = await runCli(['run', ...fastFlags(app.url), '--', 'no-such-deploy-tool-xyz', 'apply'], { cwd, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/deploy command "no-such-deploy-tool-xyz" was not found on PATH; nothing was sampled or deployed/);
    expect(app.requests).toHaveLength(0);
    expect(existsSync(join(cwd, '.seqpulse'))).toBe(false);
  });

  it('the secret never appears in stdout, stderr, JSON logs, the store files or anything read back (show, history, verdict, reports, doctor)', async () => {
    const secret = 'sEcReT-value-4f9a0c2e77';
    const app = track(await startTestApp({ secret }));
    const hook = track(await deployHook(() => app.queueFault({ kind: 'status', status: 503 }, 2)));
    const cwd = tempDir();
    // The secret also appears in the deploy command line, which is stored for the audit trail: it must be masked there too.
    const argv = [...hook.argv(), '--', `--token=${secret}`];
    const r = await runCli(['run', ...fastFlags(`http://user:pw-${secret}@127.0.0.1:${app.port}/ds-metrics`), '--log-format', 'json', '--json', '--', ...argv], {
      cwd,
      env: { SEQPULSE_HMAC_SECRET: secret },
    });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(r.stderr.split('\n').filter(Boolean).every((line) => line === 'deployed' || JSON.parse(line).level !== undefined)).toBe(true);
    const dir = join(cwd, '.seqpulse');
    for (const file of readdirSync(dir)) expect(readFileSync(join(dir, file)).includes(secret)).toBe(false);
    const id = JSON.parse(r.stdout).deployment_id;
    const stored = await storedRun(cwd, id);
    expect(stored.run?.command?.at(-1)).toBe('--token=***');
    // Every other way out: each command that reads the run back, each report format, doctor.
    const reads = [['show', id], ['show', id, '--json'], ['history', '--json'], ['verdict', id, '--json'], ['report', id, '--format', 'md'], ['report', id, '--format', 'json'], ['report', id, '--format', 'html', '-o', join(cwd, 'r.html')]];
    for (const args of reads) {
      const out = await runCli(args, { cwd, env: { SEQPULSE_HMAC_SECRET: secret } });
      expect(out.code, args.join(' ')).toBe(0);
      expect(out.stdout + out.stderr, args.join(' ')).not.toContain(secret);
    }
    expect(readFileSync(join(cwd, 'r.html'), 'utf8')).not.toContain(secret);
    const doctor = await runCli(['doctor', '--json', '--endpoint', `http://user:pw-${secret}@127.0.0.1:${app.port}/ds-metrics`], { cwd, env: { SEQPULSE_HMAC_SECRET: secret } });
    expect(doctor.stdout + doctor.stderr).not.toContain(secret);
  });

  it('a store that cannot be opened blocks the deploy (exit 2), unless --on-store-error continue: then the verdict, in memory, nothing kept', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const hook = track(await deployHook(() => undefined));
    const cwd = tempDir();
    writeFileSync(join(cwd, 'not-a-dir'), '');
    const store = join(cwd, 'not-a-dir', 'store.db');
    const blocked = await runCli(['run', ...fastFlags(app.url), '--store', store, '--json', '--', ...hook.argv()], { cwd, env });
    expect(blocked.code).toBe(2);
    expect(hook.calls).toBe(0);
    // A healthy app's verdict is the point here, not the 300 ms timeout: the verdict was attention
    // once in a local CI run (the report was not printed then; it is now, on a failure), most likely
    // a POST request past that timeout on the loaded runner.
    const r = await runCli(['run', ...fastFlags(app.url, ['--timeout', '2s']), '--store', store, '--on-store-error', 'continue', '--json', '--', ...hook.argv()], { cwd, env });
    expect(r.code, r.stdout.slice(0, 3000)).toBe(0);
    expect(hook.calls).toBe(1);
    expect(JSON.parse(r.stdout), r.stdout.slice(0, 3000)).toMatchObject({ verdict: 'ok', status: 'finished' });
    expect(r.stderr).toMatch(/warning: store .*not-a-dir\/store\.db is under a path that is not a directory \(.*\/not-a-dir is a file\)\. Going on without it \(on_store_error: continue\)/);
    expect(readdirSync(cwd)).toEqual(['not-a-dir']);
  });

  it('a bad config file -> exit 2 naming file, line, key and reason, and nothing runs', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'seqpulse.yml'), 'project: shop\nwindow: soon\nmetrics:\n  error_rate: { threshold: -5 }\n  latency_p95: { treshold: 10 }\npre_sampels: 3\n');
    const hook = track(await deployHook(() => undefined));
    const r = await runCli(['run', '--endpoint', 'http://127.0.0.1:9/ds-metrics', '--', ...hook.argv()], { cwd, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('seqpulse.yml:2: window: "soon" is not a duration');
    expect(r.stderr).toContain('seqpulse.yml:4: metrics.error_rate.threshold: must be more than 0');
    expect(r.stderr).toContain('seqpulse.yml:5: metrics.latency_p95.treshold: unknown key (did you mean threshold?)');
    expect(r.stderr).toContain('seqpulse.yml:6: pre_sampels: unknown key (did you mean pre_samples?)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(hook.calls).toBe(0);
    expect(existsSync(join(cwd, '.seqpulse'))).toBe(false);
  });

  it('missing endpoint and secret are reported together, with what to do', async () => {
    const r = await runCli(['run', '--json', '--', 'true'], { cwd: tempDir(), env: { SEQPULSE_HMAC_SECRET: undefined } });
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.error.code).toBe('config_error');
    expect(doc.error.message).toMatch(/endpoints: no endpoint given/);
    expect(doc.error.message).toMatch(/secret: no HMAC secret given/);
  });
});
