/**
 * HTTP peers that accept a connection and never write a byte (a frozen app, Prometheus or
 * Pushgateway: the kernel completes the handshake, nothing answers). Every role ends in bounded
 * time with its documented exit code, the failures stored as what they were.
 */
import { describe, expect, it } from 'vitest';
import { closeAfterEach, FAULT_TIMEOUT_MS, faultFlags, runCli, startCli, tempDir } from '../helpers/cli.js';
import { frozenPeer } from '../helpers/frozen-peer.js';
import { storedRun } from '../helpers/records.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';
import { waitFor } from '../helpers/wait-for.js';

const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
const node = process.execPath;
const track = closeAfterEach();
/** A deploy that takes no time (no second Node process starting up inside the run's schedule). */
const DEPLOY = ['true'];
/** What a step may take beyond its schedule on a loaded machine: timers firing late, the store's writes, output. */
const SLACK_MS = 1500;
/** faultFlags' schedule: 3 PRE and 10 POST ticks at 100 ms, each request cut off at 300 ms. */
const INTERVAL_MS = 100;
const TIMEOUT_MS = FAULT_TIMEOUT_MS;
const PRE_MS = 2 * INTERVAL_MS + TIMEOUT_MS;
const POST_MS = 1000 + TIMEOUT_MS;

/**
 * The run kept to its schedule, as its own process timed it: each request cut off at its timeout,
 * PRE and POST each within theirs, and the process gone once the run ended (`afterMs` for work
 * after the verdict, like a push). Timed from the stored run, not from the test's side, because a
 * Node process starting up on a loaded CI runner takes seconds and no deadline of ours covers it.
 */
async function expectOnSchedule(cwd: string, exitedAt: number, opts: { preMs?: number; afterMs?: number } = {}) {
  const { run, samples } = await storedRun(cwd);
  const at = (iso: string | null) => Date.parse(iso ?? '');
  for (const s of samples) expect(at(s.taken_at) - at(s.scheduled_at), `sample ${s.phase} ${s.seq}`).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  expect(at(run.deployed_at) - at(run.created_at), 'PRE').toBeLessThan((opts.preMs ?? PRE_MS) + SLACK_MS);
  expect(at(run.finished_at) - at(run.deployed_at), 'POST').toBeLessThan(POST_MS + SLACK_MS);
  expect(exitedAt - at(run.finished_at), 'from the end of the run to the exit').toBeLessThan((opts.afterMs ?? 0) + SLACK_MS);
  return samples;
}

describe('a peer that accepts and never answers', () => {
  it.each([
    ['the /ds-metrics endpoint', (url: string) => ['--endpoint', `${url}/ds-metrics`]],
    ['the prometheus-scrape /metrics page', (url: string) => ['--source', 'prometheus-scrape', '--endpoint', `${url}/metrics`, '--query', 'error_rate=rate(errors_total) / rate(requests_total)']],
    ['the Prometheus server', (url: string) => ['--source', 'prometheus', '--prometheus-url', url, '--query', 'error_rate=sum(rate(errors_total[1m]))']],
  ])('%s: the run ends on schedule with exit 3 (no POST sample), every request cut off at its timeout and stored as failed', async (_name, source) => {
    const peer = track(await frozenPeer());
    const cwd = tempDir();
    const flags = faultFlags('unused').filter((f, i, all) => f !== '--endpoint' && all[i - 1] !== '--endpoint');
    const r = await runCli(['run', ...source(peer.url), ...flags, '--json', '--', ...DEPLOY], { cwd, env });
    const exitedAt = Date.now();
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: null, samples: { pre: 0, post: 0 } });
    expect(peer.acceptedAt.length).toBeGreaterThan(0);
    const samples = await expectOnSchedule(cwd, exitedAt);
    expect(samples.filter((s) => s.phase === 'post')).toHaveLength(10);
    expect(samples.every((s) => !s.ok && /timeout after \d+ms|deadline passed/.test(s.error ?? ''))).toBe(true);
  });

  it('the Prometheus server for PRE history (--pre-range): the range query is cut off at the timeout, the run goes on', async () => {
    const peer = track(await frozenPeer());
    const cwd = tempDir();
    const r = await runCli(
      ['run', '--source', 'prometheus', '--prometheus-url', peer.url, '--query', 'error_rate=sum(rate(errors_total[1m]))', '--pre-range', '1m', '--interval', '100ms', '--window', '1s', '--timeout', '300ms', '--retries', '1', '--json', '--', ...DEPLOY],
      { cwd, env },
    );
    const exitedAt = Date.now();
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).verdict).toBeNull();
    // PRE is the one range query, cut off at the timeout.
    await expectOnSchedule(cwd, exitedAt, { preMs: TIMEOUT_MS });
  });

  it('the Pushgateway: a warning after the timeout, and the exit code is the verdict\'s', async () => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const gateway = track(await frozenPeer());
    const cwd = tempDir();
    const r = await runCli(['run', ...faultFlags(app.url), '--pushgateway', `http://ops:gw-pass@${gateway.url.slice('http://'.length)}/`, '--json', '--', ...DEPLOY], { cwd, env });
    const exitedAt = Date.now();
    // The cycle, then one push cut off at the timeout.
    await expectOnSchedule(cwd, exitedAt, { afterMs: TIMEOUT_MS });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).verdict).toBe('ok');
    expect(gateway.acceptedAt.length).toBe(1);
    expect(r.stderr).toMatch(/Could not push seqpulse metrics to http:\/\/\*\*\*@127\.0\.0\.1:\d+\/: http:\/\/\*\*\*@127\.0\.0\.1:\d+\/ did not answer within 300ms \(timeout\)\. The run and its verdict are unaffected/);
    expect(r.stdout + r.stderr).not.toContain('gw-pass');
  });

  // https://: a gateway that accepts the connection and never answers the TLS handshake. undici
  // fails a request aborted during the handshake only at its connect timeout (the whole `timeout`).
  it.each(['http', 'https'])('the Pushgateway (%s), and a SIGTERM while seqpulse waits on it: the push ends at once, the verdict and its exit code stand', async (scheme) => {
    const app = track(await startTestApp({ secret: TEST_SECRET }));
    const gateway = track(await frozenPeer());
    // A long timeout: without the signal, the push would wait a minute.
    const flags = ['--endpoint', app.url, '--pre-samples', '3', '--interval', '100ms', '--window', '1s', '--timeout', '60s'];
    const url = `${scheme}://127.0.0.1:${gateway.port}`;
    const cli = startCli(['run', ...flags, '--pushgateway', url, '--json', '--', node, '-e', ''], { cwd: tempDir(), env });
    await waitFor(() => gateway.acceptedAt.length === 1, 'the push to reach the frozen gateway', 30_000);
    const signalled = Date.now();
    cli.child.kill('SIGTERM');
    const r = await cli.done;
    // Gone at once: far sooner than the minute the push would have waited (a loaded runner is slow to schedule the child).
    expect(Date.now() - signalled).toBeLessThan(5000);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'ok', status: 'finished', exit_code: 0 });
    expect(r.stderr).toContain(`Could not push seqpulse metrics to ${url}: interrupted by SIGTERM. The run and its verdict are unaffected`);
  }, 60_000);
});
