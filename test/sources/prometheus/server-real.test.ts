/**
 * The prometheus source against a REAL Prometheus server scraping a real prom-client app.
 * Needs Debian's `prometheus` (`npm run test:deps`): see test/helpers/system-tools.ts for what
 * happens where it is missing.
 * Synchronisation is by polling the server (waitFor), never by sleeping.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPrometheusSource } from '../../../src/sources/prometheus/server.js';
import type { EndpointResult } from '../../../src/sources/types.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startMetricsApp, type MetricsApp } from './metrics-app.js';
import { startPrometheus, type PrometheusServer } from './prometheus-server.js';
import { describeWithTool } from '../../helpers/system-tools.js';

describeWithTool('prometheus', 'real Prometheus server', (bin) => {
  let app: MetricsApp;
  let prometheus: PrometheusServer;

  beforeAll(async () => {
    app = await startMetricsApp();
    prometheus = await startPrometheus(bin, [new URL(app.url).host]);
  }, 40_000);

  afterAll(async () => {
    await prometheus?.stop();
    await app?.close();
  });

  function source(queries: Record<string, string>) {
    return createPrometheusSource({ url: prometheus.url, queries, timeoutMs: 5_000, retries: 1, userAgent: 'seqpulse/test' });
  }

  async function collectOnce(queries: Record<string, string>): Promise<EndpointResult> {
    const s = source(queries);
    try {
      const [r] = await s.collect({ phase: 'post', deploymentId: 'dep-1', deadline: Date.now() + 10_000 });
      return r!;
    } finally {
      await s.close();
    }
  }

  it('answers instant queries with the values the app exposed', async () => {
    await app.drive(30, (i) => (i < 6 ? 500 : 200), () => 0.05);
    const queries = {
      errors: 'sum(http_requests_total{status="500"})',
      error_ratio: 'sum(http_requests_total{status=~"5.."}) / sum(http_requests_total)',
      scalar_up: 'scalar(up{job="app"})',
    };
    // Until Prometheus has scraped the app after the traffic.
    const r = await waitFor(async () => {
      const sample = await collectOnce(queries);
      return sample.metrics?.errors === 6 ? sample : undefined;
    }, 'Prometheus to scrape the traffic', 20_000);
    expect(r).toMatchObject({ endpoint: prometheus.url, ok: true, http_status: 200, metrics: { errors: 6, error_ratio: 0.2, scalar_up: 1 } });
    expect(r.error).toBeUndefined();
  });

  it('reports the real server’s answers to a bad query, NaN, an empty result and several series', async () => {
    const r = await collectOnce({
      up: 'sum(up)',
      broken: 'sum(rate(http_requests_total[1m])',
      nan: '0 / 0',
      empty: 'sum(does_not_exist_total)',
      several: 'http_requests_total',
    });
    expect(r).toMatchObject({ ok: true, metrics: { up: 1 } });
    expect(Object.keys(r.metrics!)).toEqual(['up']);
    const notes = r.error!.split('; ');
    expect(notes[0]).toMatch(/^broken: query rejected \(HTTP 400 bad_data: .*parse error.*\)\. Fix the PromQL: sum\(rate\(http_requests_total\[1m\]\)$/);
    expect(notes.slice(1)).toEqual([
      'nan: value is NaN (no value)',
      'empty: empty result',
      'several: returned 2 series, expected one: aggregate in the query (sum(...), max(...) or avg(...))',
    ]);
  });

  it('backfills PRE from a range query: one sample per step, oldest first, values where the server has data', async () => {
    // Until the server holds at least 4 scrapes of the app.
    await waitFor(async () => ((await collectOnce({ n: 'count_over_time(up{job="app"}[1m])' })).metrics?.n as number) >= 4, '4 scrapes in the TSDB', 20_000);
    const s = source({ up: 'sum(up{job="app"})', total: 'sum(http_requests_total)' });
    try {
      const now = Date.now();
      const samples = await s.backfill({ rangeMs: 3_000, stepMs: 1_000, now, deadline: Date.now() + 10_000 });
      expect(samples.map((step) => step[0]!.taken_at)).toEqual([3, 2, 1, 0].map((back) => new Date(now - back * 1000).toISOString()));
      for (const [step] of samples) expect(step).toMatchObject({ endpoint: prometheus.url, ok: true, metrics: { up: 1, total: 30 } });
    } finally {
      await s.close();
    }
  });
});
