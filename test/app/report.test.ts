/** The verdict document of a stored run: which sources' failures make the failing-endpoint finding. */
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/app/report.js';
import { PhaseColumns, metricNames } from '../../src/core/columns.js';
import { DEFAULT_RULES } from '../../src/core/rules.js';
import type { RunRecord } from '../../src/store/types.js';

const run = (source: string): RunRecord => ({
  id: '00000000-0000-4000-8000-000000000000',
  project: 'shop',
  env: 'prod',
  status: 'finished',
  settings: { endpoints: ['http://db/replica'], source, interval_ms: 10_000, window_ms: 300_000, pre_samples: 12, timeout_ms: 5_000, settle_ms: null },
  command: null,
  result: 'success',
  deploy_exit_code: 0,
  deploy_signal: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  deployed_at: '2026-01-01T00:02:00.000Z',
  finished_at: '2026-01-01T00:07:00.000Z',
});

const pre = PhaseColumns.from(Array.from({ length: 12 }, () => ({ metrics: { error_rate: 0.01, requests_per_sec: 200 } })), metricNames(DEFAULT_RULES));
// What was sampled answered all 12 PRE requests, then failed all 30 POST ones.
const phases = {
  pre,
  post: new PhaseColumns(metricNames(DEFAULT_RULES)),
  failed: { pre: 0, post: 30 },
  endpoints: [{ endpoint: 'http://db/replica', pre: { answered: 12, failed: 0 }, settling: { answered: 0, failed: 3 }, post: { answered: 0, failed: 27 }, errors: { 'connection refused': 30 } }],
};
const opts = { rules: DEFAULT_RULES, failOn: 'rollback' as const, now: '2026-01-01T00:07:00.000Z' };

describe('the failing-endpoint finding, by source', () => {
  it.each(['ds-metrics', 'prometheus-scrape', 'command'])('%s samples the app itself: its failures after the deploy are a rollback', (source) => {
    const report = buildReport(run(source), phases, opts);
    expect(report.verdict).toBe('rollback_recommended');
    expect(report.exit_code).toBe(1);
    expect(report.failing_endpoints?.[0]?.message).toBe('http://db/replica failed 30 of 30 POST requests (connection refused: 30) after answering all 12 PRE requests');
  });

  it.each(['prometheus', 'sql'])('%s answers for the app: a server or database outage is missing samples, not a verdict on the deploy', (source) => {
    const report = buildReport(run(source), phases, opts);
    expect(report.verdict).toBeNull();
    expect(report.exit_code).toBe(3);
    expect(report.failing_endpoints).toBeUndefined();
  });

  it('on_endpoint_failure decides what it means', () => {
    expect(buildReport(run('ds-metrics'), phases, { ...opts, onEndpointFailure: 'attention' })).toMatchObject({ verdict: 'attention', exit_code: 0 });
    expect(buildReport(run('ds-metrics'), phases, { ...opts, onEndpointFailure: 'no_verdict' })).toMatchObject({ verdict: null, exit_code: 3 });
  });
});
