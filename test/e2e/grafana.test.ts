/**
 * The Grafana dashboard (examples/grafana) against the real test Postgres with seqpulse's schema:
 * every SQL query it holds is executed (Grafana macros expanded as Grafana would), so a schema
 * change cannot silently break the dashboard.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { run, sample, verdict } from '../helpers/records.js';

interface Target { rawSql: string }
interface Panel { title: string; targets: Target[] }
const dashboard = JSON.parse(readFileSync(new URL('../../examples/grafana/dashboards/seqpulse.json', import.meta.url), 'utf8')) as {
  panels: Panel[];
  templating: { list: { name: string; query: string }[] };
};

/** What Grafana does before sending a query: time filter macro and multi-value variables. */
function expand(sql: string): string {
  return sql
    .replace(/\$__timeFilter\(([^()]*(?:\([^()]*\))?[^()]*)\)/g, "$1 BETWEEN '2026-01-01T00:00:00Z' AND '2026-12-31T23:59:59Z'")
    .replaceAll('${project:sqlstring}', "'shop','billing'")
    .replaceAll('${env:sqlstring}', "'prod'");
}

describe('examples/grafana dashboard', () => {
  it('every query runs against the seqpulse schema and answers from real runs', async () => {
    const url = await createTestDatabase();
    const store = await openStore(url);
    const day = (d: number) => `2026-02-0${d}T10:00:00.000Z`;
    const judged = [
      { project: 'shop', verdict: 'ok' as const, d: 1 },
      { project: 'shop', verdict: 'rollback_recommended' as const, d: 2 },
      { project: 'billing', verdict: 'attention' as const, d: 2 },
    ];
    for (const j of judged) {
      const r = run({ project: j.project, env: 'prod', status: 'finished', created_at: day(j.d), deployed_at: day(j.d).replace('10:00', '10:01'), finished_at: day(j.d).replace('10:00', '10:06') });
      await store.createRun(r);
      await store.addSamples([sample(r.id, 0, { error_rate: 0.01 })]);
      const metrics = j.verdict === 'ok' ? [] : [{ name: 'error_rate', baseline: 0.01, current: 0.05, change_pct: 400, threshold_pct: 50, direction: 'increase' as const, status: 'regression' as const, samples: { pre: 3, post: 27 }, evidence: { test: 'rate' as const, p_value: 0.0001, untestable: false, settle_skipped: 3, invalid: { pre: 0, post: 0 } } }];
      await store.saveVerdict(verdict(r.id, { project: j.project, verdict: j.verdict, metrics, created_at: day(j.d).replace('10:00', '10:06') }));
    }
    await store.createRun(run({ project: 'shop', env: 'prod', status: 'deploy_failed', created_at: day(3) }));
    await store.close();

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const results = new Map<string, Record<string, unknown>[]>();
      for (const panel of dashboard.panels) {
        for (const target of panel.targets) results.set(panel.title, (await client.query(expand(target.rawSql))).rows);
      }
      for (const variable of dashboard.templating.list) expect((await client.query(variable.query)).rows.length).toBeGreaterThan(0);

      expect(results.get('Deployments per day')!.map((r) => Number(r.deployments))).toEqual([1, 2, 1]);
      expect(Object.fromEntries(results.get('Verdict mix')!.map((r) => [r.verdict, Number(r.runs)]))).toEqual({ ok: 1, rollback_recommended: 1, attention: 1, 'no verdict': 1 });
      expect(results.get('Rollback rate per project/env')!.map((r) => [r.project, Number(r.rollback_rate_pct)])).toEqual([['shop', 50], ['billing', 0]]);
      expect(results.get('Top regressing metrics')).toEqual([{ metric: 'error_rate', regressions: '2' }]);
      expect(results.get('Time to verdict')!.map((r) => Number(r.avg_seconds))).toEqual([300, 300]);
    } finally {
      await client.end();
    }
  });
});
