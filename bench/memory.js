// npm run bench:memory — a one-hour window at a 1 s interval with 100 metrics, run through the real
// cycle (schedule, aggregation, store, live view, early-exit checks, verdict). Samples go to a real
// SQLite file.
//
// Default: on a virtual clock, so the hour takes well under a minute. With no idle time between
// ticks, V8 sizes its heap for a process that allocates all the time, and grows it far more than a
// real run does (see bench/README.md): this mode guards against leaks and blow-ups, peak RSS < 225 MB (1.5x the real target).
// `npm run bench:memory -- --real-time`: the hour in real time (61 minutes), the figure the
// requirement is about: peak RSS < 150 MB.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';
import { runCycle } from '../build/src/app/cycle.js';
import { resolveConfig } from '../build/src/config/resolve.js';
import { systemClock } from '../build/src/sampling/clock.js';
import { createLogger } from '../build/src/output/logger.js';
import { createProgress } from '../build/src/output/progress.js';
import { watchInterrupts } from '../build/src/runner/signals.js';
import { openStore } from '../build/src/store/open.js';

const METRICS = 100;
const WINDOW_S = Number(process.env.WINDOW_S ?? 3600);
const REAL_TIME = process.argv.includes('--real-time');
const TARGET_MB = REAL_TIME ? 150 : 225;
const dir = mkdtempSync(join(tmpdir(), 'seqpulse-mem-'));

// A virtual clock: sleeping jumps time forward, after one turn of the event loop. The source and
// SQLite are synchronous under their promises, so that turn lets the previous tick finish as it
// would in the real second between ticks; jumping at once would pile all 3600 ticks up in flight.
let now = Date.UTC(2026, 0, 1);
const virtualClock = { now: () => now, sleepUntil: (t) => new Promise((resolve) => setImmediate(() => resolve(void (now = Math.max(now, t))))) };
const clock = REAL_TIME ? systemClock : virtualClock;

let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
let peak = 0;
let ticks = 0;
const source = {
  async collect() {
    ticks++;
    if (ticks % 50 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    const metrics = { error_rate: 0.01 * (1 + 0.2 * rand()), latency_p95: 120 * (1 + 0.1 * rand()), requests_per_sec: 200 * (1 + 0.05 * rand()) };
    for (let m = 0; metrics && Object.keys(metrics).length < METRICS; m++) metrics[`extra_metric_${m}`] = 100 * (1 + 0.05 * rand());
    return [{ endpoint: 'http://app/ds-metrics', ok: true, metrics, http_status: 200, attempts: 1, latency_ms: 3, taken_at: new Date(clock.now()).toISOString() }];
  },
  async close() {},
};

const extraRules = Object.fromEntries(Array.from({ length: METRICS - 3 }, (_, m) => [`extra_metric_${m}`, { threshold: 30, trend: m % 2 === 0 }]));
const config = resolveConfig({
  file: { path: 'bench.yml', data: { metrics: extraRules }, lineOf: () => undefined },
  env: {},
  flags: { endpoint: ['http://app/ds-metrics'], secret: ['bench'], window: `${WINDOW_S}s`, interval: '1s', preSamples: '60', store: join(dir, 'bench.db') },
  defaultProject: 'bench',
});
const store = await openStore(config.store);
const io = {
  store,
  source: () => source,
  clock,
  logger: createLogger({ format: 'json', write: () => undefined }),
  // As in a CI log: one line per sample with the live per-metric view, written to a sink.
  progress: createProgress('lines', createLogger({ format: 'text', write: () => undefined })),
  interrupts: watchInterrupts(),
  deployStdout: 'stderr',
};
globalThis.gc?.();
const baseRss = process.memoryUsage().rss;
peak = baseRss;
const started = performance.now();
const report = await runCycle(config, [process.execPath, '-e', ''], io);
const seconds = (performance.now() - started) / 1000;
peak = Math.max(peak, process.memoryUsage().rss);
await store.close();
io.interrupts.dispose();
rmSync(dir, { recursive: true, force: true });

const mb = (b) => `${(b / 1024 / 1024).toFixed(1)} MB`;
console.log(`node ${process.version}, ${process.platform}-${process.arch}`);
console.log(
  `${WINDOW_S} s window at 1 s, ${METRICS} metrics (${report.samples.pre} PRE + ${report.samples.post} POST samples, verdict ${report.verdict}) in ${seconds.toFixed(1)} s ${REAL_TIME ? 'in real time' : 'on a virtual clock'}: ` +
    `peak RSS ${mb(peak)} (at start ${mb(baseRss)})  [target < ${TARGET_MB} MB${REAL_TIME ? '' : ' on a virtual clock; < 150 MB in real time, --real-time'}]`,
);
if (peak >= TARGET_MB * 1024 * 1024 || report.samples.post !== WINDOW_S) process.exitCode = 1;
