/**
 * prometheus-scrape against an app whose /metrics page is near the 16 MiB cap: half a million series, of
 * which the queries read one. The run keeps what the queries read, not every page whole.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

describe('prometheus-scrape: a page of half a million series', () => {
  let server: Server;
  let url = '';
  beforeAll(async () => {
    // ~15 MiB of series nothing reads, and the counter the query reads, rising.
    const filler = Array.from({ length: 560_000 }, (_, i) => `unread_series{i="${i}"} 1\n`).join('');
    let count = 0;
    server = createServer((_req, res) => {
      count += 100;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(`# TYPE requests_total counter\n${filler}requests_total ${count}\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reaches a verdict in a small heap: the pages kept for rates hold the series the queries read, not the half million others', async () => {
    // Every page held whole (current and previous: over a million samples) ran out of a 200 MB heap: exit 134, a V8 stack on stderr.
    const r = await runCli(
      ['run', '--source', 'prometheus-scrape', '--endpoint', url, '--query', 'requests_per_sec=rate(requests_total)', '--pre-samples', '2', '--interval', '3s', '--window', '3s', '--timeout', '10s', '--json', '--', process.execPath, '-e', ''],
      { cwd: tempDir(), env: { NODE_OPTIONS: '--max-old-space-size=200' } },
    );
    expect(r.stderr).not.toMatch(/heap out of memory|\n\s+at /);
    expect(r.code).not.toBe(134);
    const report = JSON.parse(r.stdout) as { verdict: string | null; samples: { pre: number } };
    expect(report.samples.pre).toBe(2);
    expect(report.verdict).not.toBeNull();
  }, 90_000);
});
