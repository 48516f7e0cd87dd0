/** `seqpulse run` end to end with each other source: a command, a SQL database, an app's /metrics, a Prometheus server; and their config errors. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { deployHook, runCli, tempDir } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { startMetricsApp, type MetricsApp } from '../sources/prometheus/metrics-app.js';
import { startPrometheus } from '../sources/prometheus/prometheus-server.js';
import { describeWithTool } from '../helpers/system-tools.js';
import { createReaderRole, createTestDatabase } from '../helpers/postgres.js';

// Each sample starts a node process: on a busy runner that alone can take most of a second.
const timing = ['--pre-samples', '3', '--interval', '100ms', '--window', '1s', '--timeout', '2s', '--retries', '1', '--json'];
const node = process.execPath;

describe('run with a command source', () => {
  // The command reads the app's state from a file; the "deploy" changes it.
  const setup = () => {
    const dir = tempDir();
    const state = join(dir, 'state');
    writeFileSync(state, 'good');
    const sampler = join(dir, 'sample.js');
    writeFileSync(sampler, `const bad = require('node:fs').readFileSync(${JSON.stringify(state)}, 'utf8') === 'bad';
      const jitter = Math.random() * 0.001;
      console.log(JSON.stringify({ metrics: { error_rate: (bad ? 0.2 : 0.01) + jitter, latency_p95: 120 + Math.random() * 5, requests_per_sec: 200 } }));`);
    const deploy = (to: string) => [node, '-e', `require('node:fs').writeFileSync(${JSON.stringify(state)}, ${JSON.stringify(to)})`];
    return { dir, sampler, deploy };
  };

  it('a healthy deploy is ok (exit 0); one that raises errors is rollback_recommended (exit 1)', async () => {
    const { dir, sampler, deploy } = setup();
    const good = await runCli(['run', '--source', 'command', '--source-command', `${node} ${sampler}`, ...timing, '--', ...deploy('good')], { cwd: dir });
    expect(good.code).toBe(0);
    const report = JSON.parse(good.stdout);
    expect(report).toMatchObject({ verdict: 'ok' });
    expect(report.samples.pre).toBe(3);

    const bad = await runCli(['run', '--source', 'command', '--source-command', `${node} ${sampler}`, ...timing, '--no-early-exit', '--', ...deploy('bad')], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ verdict: 'rollback_recommended' });
    expect(JSON.parse(bad.stdout).metrics.find((m: { name: string }) => m.name === 'error_rate').status).toBe('regression');
  });
});

describe('run with a sql source', () => {
  it('judges business metrics read from Postgres; a metric without a rule is a config error', async () => {
    const admin = await createTestDatabase();
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query("create table gauges (name text primary key, value float8); insert into gauges values ('failed_payments', 0.01)");
    await client.end();
    // seqpulse reads as the role docs/sources.md says to create; the deploy writes as the admin.
    const url = await createReaderRole(admin, ['gauges']);
    const deploy = [node, '--input-type=module', '-e', `import pg from ${JSON.stringify(import.meta.resolve('pg'))}; const c = new pg.Client(${JSON.stringify(admin)}); await c.connect(); await c.query("update gauges set value = 0.3"); await c.end();`];
    const r = await runCli(
      ['run', '--source', 'sql', '--sql-url', url, '--query', "failed_payments=select value from gauges where name = 'failed_payments'", ...timing, '--no-early-exit', '--', ...deploy],
      { cwd: tempDir(), env: { SEQPULSE_CONFIG: undefined } },
    );
    // failed_payments has no default rule: without one, nothing would judge it.
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/queries\.failed_payments: no rule judges this metric: add metrics\.failed_payments/);

    const dir = tempDir();
    writeFileSync(join(dir, 'seqpulse.yml'), 'metrics:\n  failed_payments: { threshold: 50, critical: true }\n');
    const judged = await runCli(['run', '--source', 'sql', '--sql-url', url, '--query', "failed_payments=select value from gauges where name = 'failed_payments'", ...timing, '--no-early-exit', '--', ...deploy], { cwd: dir });
    expect(judged.code).toBe(1);
    const report = JSON.parse(judged.stdout);
    expect(report.verdict).toBe('rollback_recommended');
    expect(report.metrics).toEqual([expect.objectContaining({ name: 'failed_payments', baseline: 0.01, current: 0.3, status: 'regression' })]);
    expect(JSON.stringify(report)).not.toContain(new URL(url).password || 'no-password-in-url');
  });

  it('a role that can write is refused before the deploy: exit 2, nothing deployed, nothing sent but the role check', async () => {
    const admin = await createTestDatabase();
    const dir = tempDir();
    writeFileSync(join(dir, 'seqpulse.yml'), 'metrics:\n  orders: { threshold: 50 }\n');
    const marker = join(dir, 'deployed');
    const r = await runCli(['run', '--source', 'sql', '--sql-url', admin, '--query', 'orders=select 1', ...timing, '--', node, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x')`], { cwd: dir });
    expect(r.code).toBe(2);
    expect(existsSync(marker)).toBe(false);
    expect(r.stderr).toMatch(/the database role can do more than read, so no query is sent with it: \S+ has the attribute SUPERUSER/);
    expect(r.stderr).toMatch(/GRANT SELECT ON/);
    expect(`${r.stdout}${r.stderr}`).not.toContain(new URL(admin).password);
  });
});

/** Steady traffic on a prom-client app: every 10 ms one request, one in five failing once `failing` is set. */
function traffic(app: MetricsApp) {
  let failing = false;
  let i = 0;
  let running = true;
  const loop = (async () => {
    while (running) await app.drive(1, () => (failing && i++ % 5 === 0 ? 500 : 200), () => (failing ? 0.3 : 0.05));
  })();
  return { fail: () => (failing = true), stop: async () => ((running = false), await loop) };
}

const promQueries = [
  '--query', 'error_rate=rate(http_requests_total{status=~"5.."}) / rate(http_requests_total)',
  '--query', 'latency_p95=quantile(0.95, http_request_duration_seconds) * 1000',
  '--query', 'requests_per_sec=rate(http_requests_total)',
];

describe('run with a prometheus-scrape source', () => {
  it("judges rates and quantiles derived from the app's own /metrics: a 5xx burst and slower requests are a rollback", async () => {
    const app = await startMetricsApp();
    const load = traffic(app);
    const hook = await deployHook(() => void load.fail());
    try {
      const r = await runCli(
        ['run', '--source', 'prometheus-scrape', '--endpoint', app.metricsUrl, ...promQueries, '--pre-samples', '4', '--interval', '200ms', '--window', '2s', '--timeout', '1s', '--json', '--', ...hook.argv()],
        { cwd: tempDir() },
      );
      const report = JSON.parse(r.stdout);
      expect(report.verdict).toBe('rollback_recommended');
      expect(r.code).toBe(1);
      const m = Object.fromEntries(report.metrics.map((x: { name: string }) => [x.name, x]));
      expect(m.error_rate).toMatchObject({ baseline: 0, status: 'regression' });
      expect(m.error_rate.current).toBeCloseTo(0.2, 1);
      expect(m.latency_p95.baseline).toBeLessThanOrEqual(60);
      expect(m.latency_p95.current).toBeGreaterThanOrEqual(290);
      expect(app.scrapes.length).toBeGreaterThanOrEqual(4 + report.samples.post);
    } finally {
      await load.stop();
      await Promise.all([hook.close(), app.close()]);
    }
  });

  it('judges the error rate on exact counts when the raw counters are queried too (counted, not estimated)', async () => {
    const app = await startMetricsApp();
    const load = traffic(app);
    const hook = await deployHook(() => void load.fail());
    try {
      const counters = ['--query', 'errors_total=http_requests_total{status=~"5.."}', '--query', 'requests_total=http_requests_total'];
      const r = await runCli(
        ['run', '--source', 'prometheus-scrape', '--endpoint', app.metricsUrl, ...promQueries, ...counters, '--pre-samples', '4', '--interval', '200ms', '--window', '2s', '--timeout', '1s', '--json', '--', ...hook.argv()],
        { cwd: tempDir() },
      );
      const report = JSON.parse(r.stdout);
      const errors = report.metrics.find((x: { name: string }) => x.name === 'error_rate');
      expect(errors.evidence.test).toBe('rate');
      expect(errors.evidence.counts).toMatchObject({ pre_events: 0, estimated: false });
      expect(errors.evidence.counts.post_events).toBeGreaterThan(0);
      expect(report.details.join('\n')).toMatch(/error_rate.*\(counted/);
    } finally {
      await load.stop();
      await Promise.all([hook.close(), app.close()]);
    }
  });
});

describe('the command source\'s environment', () => {
  it("the metrics command gets the run's environment without seqpulse's own credentials", async () => {
    const dir = tempDir();
    const seen = join(dir, 'env.json');
    const sampler = join(dir, 'sample.js');
    writeFileSync(sampler, `require('node:fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify(process.env));
      console.log(JSON.stringify({ metrics: { requests_per_sec: 200 } }));`);
    const secrets = {
      SEQPULSE_HMAC_SECRET: 'hmac-secret-value-1234',
      SEQPULSE_SOURCE_TOKEN: 'source-token-value-1234',
      SEQPULSE_SQL_URL: 'postgres://reader:db-password-1234@127.0.0.1:9/shop',
      SEQPULSE_PUSHGATEWAY: 'http://push:push-password-1234@127.0.0.1:9',
    };
    const r = await runCli(['run', '--source', 'command', '--source-command', `${node} ${sampler}`, '--store', join(dir, 'store.db'), ...timing, '--', node, '-e', ''], {
      cwd: dir,
      env: { ...secrets, MY_APP_TOKEN: 'the-command-own-1234' },
    });
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(seen)).toBe(true);
    const env = JSON.parse(readFileSync(seen, 'utf8')) as Record<string, string>;
    for (const name of Object.keys(secrets)) expect(env[name], name).toBeUndefined();
    expect(JSON.stringify(env)).not.toMatch(/1234@|hmac-secret-value|source-token-value/);
    expect(env).toMatchObject({ MY_APP_TOKEN: 'the-command-own-1234', SEQPULSE_PHASE: expect.stringMatching(/^(pre|post)$/) });
  }, 60_000);
});

describeWithTool('prometheus', 'run with a prometheus source', (bin) => {
  it('takes PRE from the server\'s recent history (--pre-range) and POST from instant queries', async () => {
    const app = await startMetricsApp();
    const load = traffic(app);
    const prometheus = await startPrometheus(bin, [new URL(app.url).host]);
    try {
      // History to take PRE from: the last 4 s must have a value at every second.
      await waitFor(async () => {
        const now = Date.now() / 1000;
        const q = new URLSearchParams({ query: 'sum(rate(http_requests_total[3s]))', start: String(now - 4), end: String(now), step: '1' });
        const body = (await (await fetch(`${prometheus.url}/api/v1/query_range?${q}`)).json()) as { data: { result: { values: unknown[] }[] } };
        return (body.data.result[0]?.values.length ?? 0) >= 5;
      }, 'Prometheus to hold 4 s of traffic history', 30_000);
      const r = await runCli(
        ['run', '--source', 'prometheus', '--prometheus-url', prometheus.url, '--query', 'requests_per_sec=sum(rate(http_requests_total[3s]))', '--pre-range', '4s',
          '--interval', '1s', '--window', '3s', '--timeout', '2s', '--json', '--', process.execPath, '-e', ''],
        { cwd: tempDir() },
      );
      const report = JSON.parse(r.stdout);
      expect(report.verdict).not.toBeNull();
      expect(report.samples.pre).toBeGreaterThanOrEqual(4);
      expect(report.metrics).toEqual([expect.objectContaining({ name: 'requests_per_sec' })]);
      expect(report.metrics[0].baseline).toBeGreaterThan(10);
    } finally {
      await load.stop();
      await prometheus.stop();
      await app.close();
    }
  }, 60_000);
});

describe('source configuration errors', () => {
  it('a SQL query that writes is refused before anything runs: exit 2, the deploy never starts', async () => {
    const dir = tempDir();
    const marker = join(dir, 'deployed');
    const r = await runCli(
      ['run', '--source', 'sql', '--sql-url', 'postgres://reader:pw@127.0.0.1:9/shop', '--query', 'orders=delete from orders', ...timing, '--', node, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x')`],
      { cwd: dir },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/queries\.orders: only reads are allowed: the query starts with DELETE/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(marker)).toBe(false);
  });

  it('a scrape expression that does not parse is refused before anything runs, with its position', async () => {
    const r = await runCli(['run', '--source', 'prometheus-scrape', '--endpoint', 'http://127.0.0.1:9/metrics', '--query', 'latency_p95=quantile(95, http_request_duration_seconds)', ...timing, '--', node, '-e', ''], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/queries\.latency_p95: at position \d+: the quantile must be between 0 and 1/);
  });

  it('a pre_range of more steps than Prometheus answers is refused before anything runs (it was one sample per step in memory: out of memory)', async () => {
    const dir = tempDir();
    const marker = join(dir, 'deployed');
    // 2m at 10ms: 12,000 steps (a day at 10ms, 8.6 million, ran out of memory). Nothing listens at the URL: the check is the config's.
    const r = await runCli(
      ['run', '--source', 'prometheus', '--prometheus-url', 'http://127.0.0.1:9', '--query', 'requests_per_sec=sum(rate(http_requests_total[1m]))', '--pre-range', '2m', '--interval', '10ms', '--window', '1s', '--timeout', '2s',
        '--', node, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x')`],
      { cwd: dir },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pre_range: 2m of history at one sample per interval \(10ms\) is 12000 steps; Prometheus answers at most 11000/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(marker)).toBe(false);
  }, 30_000);

  it('each source names what it is missing, all at once', async () => {
    const r = await runCli(['run', '--source', 'prometheus', ...timing, '--', node, '-e', ''], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/prometheus_url: no Prometheus server given/);
    expect(r.stderr).toMatch(/queries: source prometheus needs at least one query/);
    const q = await runCli(['run', '--source', 'command', '--query', 'no-equals-sign', ...timing, '--', node, '-e', ''], { cwd: tempDir() });
    expect(q.code).toBe(2);
    expect(q.stderr).toMatch(/--query: "no-equals-sign" is not name=expression/);
  });
});
