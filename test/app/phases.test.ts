/**
 * A verdict (and the sparkline series) built from a store's samples read page by page (what
 * `finish`, `run` and `analyze <id>` do) is the one built from all the samples at once, whatever the
 * page size: ticks split across pages, several endpoints, failed endpoints and failed ticks.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/app/report.js';
import { columnsFromTicks, samplePages, snapshotsFromSamples, ticksFrom } from '../../src/app/snapshots.js';
import { analyze } from '../../src/core/analyze.js';
import { DEFAULT_RULES } from '../../src/core/rules.js';
import { runSeries, storedRunSeries } from '../../src/app/series.js';
import { openStore } from '../../src/store/open.js';
import type { StoredSample } from '../../src/store/types.js';
import { run, sample } from '../helpers/records.js';

describe('columns from stored batches', () => {
  it('give the same ticks, failures and verdict as snapshots of all the samples', async () => {
    const store = await openStore(join(mkdtempSync(join(tmpdir(), 'seqpulse-phases-')), 'seqpulse.db'));
    const r = run();
    await store.createRun(r);
    const endpoints = ['http://10.0.0.1/ds-metrics', 'http://10.0.0.2/ds-metrics', 'http://10.0.0.3/ds-metrics'];
    let seed = 3;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const samples: StoredSample[] = [];
    for (const [phase, ticks, level] of [['pre', 12, 100], ['post', 30, 160]] as const) {
      for (let seq = 0; seq < ticks; seq++) {
        endpoints.forEach((endpoint, e) => {
          // Tick 4 of each phase: nobody answers. Every 5th tick: the second endpoint fails.
          const failed = seq === 4 || (seq % 5 === 0 && e === 1);
          const late = phase === 'post' && seq >= 10 ? { late_metric: seq } : {};
          const metrics = { ...late, latency_p95: level * (1 + 0.1 * rand()), requests_per_sec: 200 * (1 + 0.05 * rand()), error_rate: phase === 'pre' ? 0.01 : 0.05, cpu_usage: seq === 7 ? 'n/a' : 0.4 };
          samples.push(sample(r.id, seq, failed ? null : metrics, { phase, endpoint }));
        });
      }
    }
    await store.addSamples(samples);
    const snaps = snapshotsFromSamples(await store.getSamples(r.id), DEFAULT_RULES);
    const expected = analyze({ pre: snaps.pre, post: snaps.post, rules: DEFAULT_RULES, failed: snaps.failed.post, intervalMs: 1000 });
    expect(expected.verdict).toBe('rollback_recommended');
    for (const size of [2, 3, 7, 1000]) {
      const cols = await columnsFromTicks(ticksFrom(samplePages(store, r.id, size), DEFAULT_RULES), DEFAULT_RULES);
      expect(cols.failed).toEqual({ pre: 1, post: 1 });
      expect([cols.pre.length, cols.post.length]).toEqual([snaps.pre.length, snaps.post.length]);
      expect(analyze({ pre: cols.pre, post: cols.post, rules: DEFAULT_RULES, failed: cols.failed.post, intervalMs: 1000 })).toEqual(expected);
    }
    // The sparkline series, read the same way: the same values, a metric first seen late padded with nulls.
    const series = await storedRunSeries(store, r.id, DEFAULT_RULES);
    expect(series).toEqual(runSeries(await store.getSamples(r.id), DEFAULT_RULES));
    const late = series.byMetric.late_metric!;
    expect(late.pre).toEqual(Array(snaps.pre.length).fill(null));
    // POST ticks 0-3 and 5-9 answered without it (tick 4 failed): 9 nulls, then the values.
    expect(late.post.slice(0, 12)).toEqual([...Array(9).fill(null), 10, 11, 12]);
    await store.close();
  });

  it('count the settle period in ticks: a settle tick that got no data uses it up, and the verdict sets aside only the samples taken in it', async () => {
    const r = run({ status: 'finished', result: 'success', settings: { endpoints: ['http://127.0.0.1:1/ds-metrics'], interval_ms: 1000, window_ms: 30_000, pre_samples: 12, timeout_ms: 500, settle_ms: 3000 } });
    const metrics = { error_rate: 0.01, requests_per_sec: 200, latency_p95: 100 };
    // POST ticks 0 and 1 failed; tick 2 is the settle period's only sample.
    const samples = [...Array.from({ length: 12 }, (_, seq) => sample(r.id, seq, metrics)), ...Array.from({ length: 30 }, (_, seq) => sample(r.id, seq, seq < 2 ? null : metrics, { phase: 'post' }))];
    const cols = await columnsFromTicks(ticksFrom((async function* () { yield samples; })(), DEFAULT_RULES), DEFAULT_RULES, 3);
    expect(cols).toMatchObject({ settling: 1, failed: { pre: 0, post: 2 } });
    expect(cols.post.length).toBe(28);
    const report = buildReport(r, cols, { rules: DEFAULT_RULES, failOn: 'rollback', now: '2026-01-18T12:05:00.000Z' });
    expect(report.metrics.map((m) => m.evidence.settle_skipped)).toEqual(report.metrics.map(() => 1));
  });
});
