// npm run bench: CLI cold start and sampling-schedule drift. Figures go to bench/README.md.
// Runs against the built package (build/), so it measures what users run.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { runFixedRate } = await import('../build/src/sampling/schedule.js');
const { systemClock } = await import('../build/src/sampling/clock.js');
const { createDsMetricsSource } = await import('../build/src/sources/ds-metrics.js');

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { mean, p50: q(0.5), p95: q(0.95), max: sorted[sorted.length - 1] };
}
const ms = (v) => `${v.toFixed(1)} ms`;

// 1. Cold start: a fresh `node bin/seqpulse.js --version` process, end to end.
function coldStart(runs = 15) {
  const times = [];
  spawnSync(process.execPath, ['bin/seqpulse.js', '--version'], { cwd: root }); // warm the file cache
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['bin/seqpulse.js', '--version'], { cwd: root, encoding: 'utf8' });
    times.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`--version failed: ${r.stderr}`);
  }
  return stats(times);
}

// 2. Drift: 60 samples at 100 ms against an endpoint answering in 0-80 ms (signed requests, real HTTP).
async function drift() {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const server = createServer((req, res) => {
    setTimeout(() => res.end(JSON.stringify({ metrics: { latency_p95: 100 + rand() * 10 } })), rand() * 80);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/ds-metrics`;
  const source = createDsMetricsSource({ endpoints: [url], secret: 'bench-secret', timeoutMs: 1000, retries: 0, userAgent: 'seqpulse/bench' });
  const completions = [];
  const startAt = Date.now() + 50;
  const ticks = await runFixedRate({ count: 60, startAt, intervalMs: 100 }, systemClock, async (tick) => {
    const [r] = await source.collect({ phase: 'post', deploymentId: 'bench', deadline: tick.scheduledAt + 1000 });
    if (!r.ok) throw new Error(r.error);
    completions.push(Date.now() - tick.scheduledAt);
  });
  await source.close();
  server.close();
  const drifts = ticks.map((t) => t.firedAt - t.scheduledAt);
  const last = ticks[ticks.length - 1];
  return { drift: stats(drifts), lastTickOffset: last.firedAt - (startAt + 59 * 100), latency: stats(completions) };
}

// 3. analyze on 200 metrics x 10,000 samples per phase: from JSON-shaped snapshot objects (as sample
// files give them), and from columns (as `run` builds them while sampling, and a verdict from the
// store reads its samples into).
async function analyzeTime() {
  const { analyze } = await import('../build/src/core/analyze.js');
  const { rule } = await import('../build/src/core/rules.js');
  const { PhaseColumns, metricNames } = await import('../build/src/core/columns.js');
  let seed = 11;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const rules = {};
  for (let m = 0; m < 200; m++) rules[`metric_${m}`] = rule('increase', 30, { trend: m % 2 === 0 });
  const phase = (shift) =>
    JSON.parse(JSON.stringify(Array.from({ length: 10_000 }, () => ({ metrics: Object.fromEntries(Object.keys(rules).map((k) => [k, 100 * shift * (1 + 0.05 * rand())])) }))));
  const pre = phase(1);
  const post = phase(1.02);
  const columns = { pre: PhaseColumns.from(pre, metricNames(rules)), post: PhaseColumns.from(post, metricNames(rules)) };
  const time = (input) => {
    analyze({ ...input, rules, intervalMs: 1000 }); // warm-up
    const times = [];
    for (let i = 0; i < 5; i++) {
      // The bench's own set-up garbage (4 million values built and parsed) is collected first, so it
      // is not billed to analyze; analyze's own allocations still are.
      globalThis.gc?.();
      const t0 = performance.now();
      analyze({ ...input, rules, intervalMs: 1000 });
      times.push(performance.now() - t0);
    }
    return stats(times);
  };
  return { snapshots: time({ pre, post }), columns: time(columns) };
}

// 4. Time to verdict for an outage at a 10 s interval: POST samples fed one by one, as the run does.
async function earlyExit() {
  const { decisiveRegression } = await import('../build/src/core/early.js');
  const { DEFAULT_RULES } = await import('../build/src/core/rules.js');
  const { settleSamples } = await import('../build/src/app/report.js');
  const { FAMILIES, scenarios, INTERVAL_MS } = await import('./scenarios.js');
  const window = 90; // 15 minutes at 10 s
  const settle = settleSamples({ window_ms: window * INTERVAL_MS, interval_ms: INTERVAL_MS, settle_ms: null });
  const outage = { ...FAMILIES.find((f) => f.name === 'outage'), post: window };
  const results = [];
  for (const s of scenarios(outage, 20, 99)) {
    let at = window;
    for (let k = 1; k <= window; k++) {
      if (decisiveRegression({ pre: s.pre, post: s.post.slice(0, k), rules: DEFAULT_RULES, intervalMs: INTERVAL_MS, settle }, { planned: window })) {
        at = k;
        break;
      }
    }
    results.push((at * INTERVAL_MS) / 1000);
  }
  return stats(results);
}

const cold = coldStart();
const d = await drift();
const a = await analyzeTime();
const e = await earlyExit();
console.log(`node ${process.version}, ${process.platform}-${process.arch}`);
console.log(`cold start (seqpulse --version, 15 runs): mean ${ms(cold.mean)}, p50 ${ms(cold.p50)}, p95 ${ms(cold.p95)}, max ${ms(cold.max)}  [target < 300 ms]`);
console.log(`schedule drift (60 samples @ 100 ms, endpoint 0-80 ms): mean ${ms(d.drift.mean)}, p95 ${ms(d.drift.p95)}, max ${ms(d.drift.max)}; last tick offset ${ms(d.lastTickOffset)}  [target mean < 5 ms]`);
console.log(`  request latency seen: mean ${ms(d.latency.mean)}, max ${ms(d.latency.max)}`);
console.log(`analyze, 200 metrics x 10,000 samples per phase (5 runs after a warm-up):`);
console.log(`  from snapshot objects (sample files):         mean ${ms(a.snapshots.mean)}, p50 ${ms(a.snapshots.p50)}, max ${ms(a.snapshots.max)}  [target < 500 ms]`);
console.log(`  from columns (run while sampling, the store): mean ${ms(a.columns.mean)}, p50 ${ms(a.columns.p50)}, max ${ms(a.columns.max)}  [target < 500 ms]`);
console.log(`early exit, outage at a 10 s interval, 15 min window, default settle 60 s (20 seeded outages): verdict after ${e.p50.toFixed(0)} s median, ${e.max.toFixed(0)} s at most (full window: 900 s)`);
if (cold.mean >= 300 || d.drift.mean >= 5 || a.snapshots.mean >= 500 || a.columns.mean >= 500) process.exitCode = 1;
