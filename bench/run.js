// npm run bench: CLI cold start and sampling-schedule drift. Figures go to bench/README.md.
// Runs against the built package (dist/), so it measures what users run.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { runFixedRate } = await import('../dist/src/sampling/schedule.js');
const { systemClock } = await import('../dist/src/sampling/clock.js');
const { createDsMetricsSource } = await import('../dist/src/sources/ds-metrics.js');

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

const cold = coldStart();
const d = await drift();
console.log(`node ${process.version}, ${process.platform}-${process.arch}`);
console.log(`cold start (seqpulse --version, 15 runs): mean ${ms(cold.mean)}, p50 ${ms(cold.p50)}, p95 ${ms(cold.p95)}, max ${ms(cold.max)}  [target < 300 ms]`);
console.log(`schedule drift (60 samples @ 100 ms, endpoint 0-80 ms): mean ${ms(d.drift.mean)}, p95 ${ms(d.drift.p95)}, max ${ms(d.drift.max)}; last tick offset ${ms(d.lastTickOffset)}  [target mean < 5 ms]`);
console.log(`  request latency seen: mean ${ms(d.latency.mean)}, max ${ms(d.latency.max)}`);
if (cold.mean >= 300 || d.drift.mean >= 5) process.exitCode = 1;
