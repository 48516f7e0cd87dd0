/**
 * `seqpulse run` end to end against sources that answer, quickly, what no client should take as
 * is: a Prometheus API whose JSON is nested 200,000 levels deep, and answers or `/metrics` pages
 * whose explanation of what is wrong is megabytes long. The run ends with its documented exit
 * code, every sample stored as failed with a reason of bounded size.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeAfterEach, runCli, tempDir } from '../helpers/cli.js';
import { storedSamples } from '../helpers/records.js';

const node = process.execPath;
const track = closeAfterEach();
/** What one stored reason may take, whatever the source answered. */
const BOUND = 4096;
const FLAGS = ['--pre-samples', '3', '--interval', '100ms', '--window', '1s', '--timeout', '300ms', '--retries', '1', '--json'];
/** FLAGS with a timeout the body fits in, on a loaded machine too: the reason stored is what the source answered, never a timeout. */
const ROOMY = [...FLAGS.filter((f, i, all) => f !== '--timeout' && all[i - 1] !== '--timeout'), '--timeout', '3s'];

/** Answers every request with `body` at once. */
async function answering(body: string, contentType: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': contentType }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('a source answering hostile bodies', () => {
  it('a Prometheus API answering JSON nested 200,000 levels deep: the deploy goes ahead, exit 3 (no POST sample), every sample stored as malformed', async () => {
    const depth = 200_000;
    const peer = track(await answering(`{"status":"error","errorType":"x","error":${'['.repeat(depth)}${']'.repeat(depth)}}`, 'application/json'));
    const cwd = tempDir();
    const r = await runCli(['run', '--source', 'prometheus', '--prometheus-url', peer.url, '--query', 'error_rate=sum(errors)', ...ROOMY, '--', node, '-e', ''], { cwd });
    expect(r.stderr).not.toMatch(/internal error|Maximum call stack/);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: null, result: 'success', samples: { pre: 0, post: 0 } });
    const samples = await storedSamples(cwd);
    expect(samples.filter((s) => s.phase === 'post')).toHaveLength(10);
    expect(samples.every((s) => !s.ok && s.error === 'error_rate: malformed answer: nested deeper than 64 levels')).toBe(true);
  });

  it.each([
    ['a Prometheus API whose error message is 1 MiB', (url: string) => ['--source', 'prometheus', '--prometheus-url', url], JSON.stringify({ status: 'error', errorType: 'x', error: 'E'.repeat(1024 * 1024) }), 'application/json'],
    ['a /metrics page with a 1 MiB value token', (url: string) => ['--source', 'prometheus-scrape', '--endpoint', `${url}/metrics`], `errors_total ${'1'.repeat(1024 * 1024)}x\n`, 'text/plain'],
  ])('%s: exit 3, every sample stored as failed with its reason cut', async (_name, source, body, contentType) => {
    const peer = track(await answering(body, contentType));
    const cwd = tempDir();
    const r = await runCli(['run', ...source(peer.url), '--query', 'error_rate=errors_total', ...ROOMY, '--', node, '-e', ''], { cwd });
    expect(r.code).toBe(3);
    const samples = await storedSamples(cwd);
    expect(samples.filter((s) => s.phase === 'post')).toHaveLength(10);
    expect(samples.every((s) => !s.ok && s.error!.length < BOUND)).toBe(true);
    expect(samples.filter((s) => /more characters\)$/.test(s.error!)).length).toBeGreaterThan(0);
  });

  it('a /metrics page whose value is 100,000 digits and then not a number: refused at once (a regex that backtracked held the event loop for minutes, past every timeout)', async () => {
    const peer = track(await answering(`errors_total ${'1'.repeat(100_000)}x\n`, 'text/plain'));
    const cwd = tempDir();
    const started = Date.now();
    const r = await runCli(['run', '--source', 'prometheus-scrape', '--endpoint', `${peer.url}/metrics`, '--query', 'error_rate=errors_total', ...ROOMY, '--', node, '-e', ''], { cwd });
    expect(r.code).toBe(3);
    // The schedule (PRE 300 ms, the window 1 s, one timeout) and process start-up; the backtracking took minutes.
    expect(Date.now() - started).toBeLessThan(1300 + 3000 + 5000);
    const samples = await storedSamples(cwd);
    expect(samples.filter((s) => s.phase === 'post')).toHaveLength(10);
    expect(samples.every((s) => !s.ok && /^malformed metrics page: line 1: invalid value "1+… \([\d,]+ more characters\)$/.test(s.error!))).toBe(true);
  });

  it('a command source printing a byte order mark before its sample (PowerShell, .NET): read like the same output without it, as an endpoint\'s body and a sample file are', async () => {
    const cwd = tempDir();
    const script = join(cwd, 'sample.js');
    writeFileSync(script, `process.stdout.write('\\ufeff' + JSON.stringify({ metrics: { error_rate: 0.01, latency_p95: 120 } }) + '\\r\\n');`);
    const r = await runCli(['run', '--source', 'command', '--source-command', `${node} ${script}`, ...ROOMY, '--', node, '-e', ''], { cwd });
    expect(r.stderr).not.toMatch(/printed no JSON sample/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'ok', samples: { pre: 3, failed: 0 } });
    const samples = await storedSamples(cwd);
    expect(samples.every((s) => s.ok && s.metrics?.error_rate === 0.01)).toBe(true);
  });
});
