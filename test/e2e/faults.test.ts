/**
 * Fault injection end to end: the built CLI (`seqpulse run`) as a real process against the test app
 * on loopback, one fault per case, a real SQLite store. Every case must end in a verdict or a clear
 * error with the right exit code (SPEC §7), within its planned time plus a bounded overrun, with
 * every good answer of the app stored as an ok sample, and without a stack trace.
 *
 * Faults hit requests by number through the app's plan (`k`: 1-based within the phase), so a run
 * has good samples and bad ones; PRE stays healthy unless the case says otherwise.
 *
 * Time bounds, measured (never slept): from the first request the app saw to the exit, PLANNED_MS
 * (PRE ticks at 0-200 ms, the 1 s window, each phase's last tick allowed its whole 300 ms timeout)
 * + OVERRUN_MS (1.5 s: the deploy command, judging, storing, exiting), plus the busy timeout for
 * the cases that wait on a locked store; from spawn to exit, STARTUP_MS more (starting Node,
 * loading seqpulse and opening the store, which alone took 2-3 s on a loaded shared 2-core runner).
 * Cases run two at a time (SLOTS) so the processes whose time is measured are not starved; the
 * whole file takes about 40 s on a 2-core machine.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import { describe, it, type ExpectStatic } from 'vitest';
import { BUSY_TIMEOUT_MS } from '../../src/store/sqlite.js';
import { openStore } from '../../src/store/open.js';
import type { StoredSample } from '../../src/store/types.js';
import { storeWithFinishedRuns } from '../helpers/records.js';
import { BIN, deployHook, FAULT_TIMEOUT_MS, faultFlags, runCli, tempDir, type CliOptions, type CliResult } from '../helpers/cli.js';
import { DEFAULT_METRICS, startTestApp, TEST_SECRET, type Fault, type FaultPlan, type MetricsProvider, type RecordedRequest, type TestApp, type TestAppOptions } from '../helpers/test-app.js';

const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };

const PRE = 3;
const INTERVAL_MS = 100;
const WINDOW_MS = 1000;
const TIMEOUT_MS = FAULT_TIMEOUT_MS;
const PLANNED_MS = (PRE - 1) * INTERVAL_MS + TIMEOUT_MS + WINDOW_MS + TIMEOUT_MS;
const OVERRUN_MS = 1500;
const STARTUP_MS = 5000;
const SLOTS = 2;

/** A stack frame, as Node prints them. */
const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

/** The verdict document, or the error document of a failed command (`--json`). */
interface Report {
  deployment_id?: string;
  verdict?: string | null;
  exit_code?: number;
  status?: string;
  summary?: string;
  details?: string[];
  hints?: { code: string; message: string }[];
  samples?: { pre: number; post: number; failed: number };
  error?: { code: string; message: string; hint: string | null };
}

interface Outcome {
  r: CliResult;
  /** From spawn to exit. */
  elapsedMs: number;
  /** Epoch ms the process exited. */
  exitedAt: number;
  report: Report;
  samples: StoredSample[];
  app: TestApp;
  /** Epoch ms when the deploy command ran, if it did. */
  deployedAt: number | undefined;
  store: string;
  cwd: string;
}

/** At most SLOTS seqpulse processes at once. */
const slot = (() => {
  let free = SLOTS;
  const queue: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => queue.push(resolve));
    try {
      return await work();
    } finally {
      const next = queue.shift();
      if (next) next();
      else free++;
    }
  };
})();

interface CycleOptions {
  app?: TestAppOptions;
  plan?: FaultPlan;
  flags?: string[];
  /** Prepares the store before the run (the path may not exist yet). */
  store?: (path: string, cwd: string) => string | void | Promise<string | void>;
  cli?: Partial<CliOptions>;
  /** Called when the deploy command runs (from the command itself, through a loopback hook). */
  onDeploy?: (app: TestApp) => void;
  /** Deploy through the loopback hook (to know whether and when the deploy ran) even without onDeploy; else the deploy is `true`. */
  watchDeploy?: boolean;
  /** Started just before the CLI, e.g. to hold a lock on the store until some request or until the CLI exits. */
  during?: (ctx: { app: TestApp; store: string; exited: Promise<unknown> }) => Promise<void>;
  /** The CLI mostly waits (on a lock held past the busy timeout): it does not take one of the SLOTS. */
  idle?: boolean;
}

/** Starts the app, runs one `seqpulse run --json` against it, reads back what was stored. */
async function cycle(opts: CycleOptions = {}): Promise<Outcome> {
  const app = await startTestApp({ secret: TEST_SECRET, ...opts.app, metrics: tagged(opts.app?.metrics ?? DEFAULT_METRICS) });
  let deployedAt: number | undefined;
  const hook =
    opts.onDeploy || opts.watchDeploy
      ? await deployHook(() => {
          deployedAt = Date.now();
          opts.onDeploy?.(app);
        })
      : undefined;
  try {
    if (opts.plan) app.setPlan(opts.plan);
    const cwd = tempDir('seqpulse-faults-');
    let store = join(cwd, 'store.db');
    store = (await opts.store?.(store, cwd)) ?? store;
    const args = ['run', ...faultFlags(app.url, ['--store', store, ...(opts.flags ?? [])]), '--json', '--', ...(hook?.argv() ?? ['true'])];
    const { r, elapsedMs, exitedAt } = await (opts.idle ? <T>(work: () => Promise<T>) => work() : slot)(async () => {
      let exit!: () => void;
      const exited = new Promise<void>((resolve) => (exit = resolve));
      const during = opts.during?.({ app, store, exited });
      const started = performance.now();
      const r = await runCli(args, { cwd, env, ...opts.cli });
      const elapsedMs = performance.now() - started;
      const exitedAt = Date.now();
      exit();
      await during;
      return { r, elapsedMs, exitedAt };
    });
    const report = parseJson(r);
    let samples: StoredSample[] = [];
    if (report.deployment_id) {
      const db = await openStore(store);
      try {
        samples = await db.getSamples(report.deployment_id);
      } finally {
        await db.close();
      }
    }
    return { r, elapsedMs, exitedAt, report, samples, app, deployedAt, store, cwd };
  } finally {
    await Promise.all([app.close(), hook?.close()]);
  }
}

/**
 * Every document the app sends carries its request number (`app_request`, a metric without a rule:
 * stored, never judged), so each stored sample says which answer it is.
 */
function tagged(metrics: MetricsProvider | Record<string, unknown>): MetricsProvider {
  return (n, phase, q) => ({ ...(typeof metrics === 'function' ? metrics(n, phase, q) : metrics), app_request: n });
}

/** The app's request behind a stored ok sample. */
function requestOf(o: Outcome, s: StoredSample): RecordedRequest {
  const q = o.app.requests.find((r) => r.seq === s.metrics?.app_request);
  if (!q) throw new Error(`stored sample ${s.phase} ${s.seq} is no answer of the app: ${JSON.stringify(s.metrics)}`);
  return q;
}

/**
 * Failures a loaded machine causes whatever the app does: an answer that reached seqpulse after its
 * timeout (the app's process was starved), a tick that ran after its deadline (seqpulse's was).
 */
const LOAD_FAILURE = /^(timeout after \d+ms|deadline passed before the first attempt)$/;

function parseJson(r: CliResult): Report {
  try {
    return JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${r.code}):\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  }
}

function describeOutcome(o: Outcome): string {
  const samples = o.samples.map((s) => `  ${s.phase} ${s.seq} ok=${s.ok} attempts=${s.attempts} latency=${s.latency_ms} ms ${s.error ?? ''}`).join('\n');
  const requests = o.app.requests.map((q) => `  ${q.phase} #${q.phaseSeq} ${q.response}${q.good ? ` (good, answered after ${q.answeredAt! - q.time} ms)` : ''}`).join('\n');
  return `exit ${o.r.code} after ${Math.round(o.elapsedMs)} ms\n--- stdout ---\n${o.r.stdout}\n--- stderr ---\n${o.r.stderr}\n--- stored ---\n${samples}\n--- app ---\n${requests}`;
}

/**
 * What holds for every case: the exit code, the time bound, no stack trace, a clear error when
 * there is no report, and every complete, valid document the app sent stored as an ok sample.
 */
function common(expect: ExpectStatic, o: Outcome, opts: { code: number; extraMs?: number; allGoodStored?: boolean }): void {
  const context = describeOutcome(o);
  expect(o.r.code, context).toBe(opts.code);
  expect(o.r.signal).toBeNull();
  const bound = PLANNED_MS + (opts.extraMs ?? 0) + OVERRUN_MS;
  const first = o.app.requests[0];
  if (first) expect(o.exitedAt - first.time, `ran ${o.exitedAt - first.time} ms from the first request, bound ${bound} ms`).toBeLessThan(bound);
  expect(o.elapsedMs, `took ${Math.round(o.elapsedMs)} ms from spawn, bound ${bound + STARTUP_MS} ms`).toBeLessThan(bound + STARTUP_MS);
  expect(o.r.stderr, context).not.toMatch(STACK_FRAME);
  expect(o.r.stderr).not.toMatch(/internal error/);
  expect(o.report.error?.code, context).not.toBe('internal_error');
  if (o.report.deployment_id) {
    expect(o.report.exit_code).toBe(opts.code);
    // PRE replaces a failed sample (a loaded machine's timeout) by another, at most PRE extra ones.
    expect(o.samples.filter((s) => s.phase === 'pre' && s.ok)).toHaveLength(PRE);
    expect(o.samples.filter((s) => s.phase === 'pre').length).toBeLessThanOrEqual(2 * PRE);
  }
  // Every ok sample is one complete, valid answer of the app, stored once...
  const stored = o.samples.filter((s) => s.ok).map((s) => requestOf(o, s));
  expect(stored.every((q) => q.good)).toBe(true);
  expect(new Set(stored).size).toBe(stored.length);
  if (opts.allGoodStored !== false) {
    // ...and every good answer is stored, unless seqpulse had given up on that attempt (it reached
    // seqpulse after its timeout, the app's process starved on a loaded runner): such an attempt is
    // a failed one. Attempts that failed = attempts made - ok samples; the app's faults explain
    // `faulted` of them; only the rest can be late good answers. On a quiet machine: none lost.
    const lost = o.app.goodAnswers() - stored.length;
    const failedAttempts = o.samples.reduce((n, s) => n + s.attempts, 0) - stored.length;
    const faulted = o.app.requests.filter((q) => !q.good).length;
    expect(lost, `good answers not stored\n${context}`).toBeLessThanOrEqual(Math.max(0, failedAttempts - faulted));
  }
  if (!o.report.deployment_id) {
    // No report: the error document says what went wrong and what to do.
    expect(o.report.error?.message, context).toBeTruthy();
    expect(o.report.error?.hint).toBeTruthy();
    expect(o.r.stderr).toContain(`seqpulse: ${o.report.error!.message}`);
  }
  expect(o.samples.every((s) => s.ok === (s.metrics !== null))).toBe(true);
  expect(o.app.anyNonceRepeated()).toBe(false);
}

const postRange = (from: number, to: number, fault: Fault): FaultPlan => (_n, phase, k) => (phase === 'post' && k >= from && k <= to ? fault : undefined);
const everyNthPost = (n: number, fault: Fault): FaultPlan => (_n, phase, k) => (phase === 'post' && k % n === 1 ? fault : undefined);
/** These POST requests (by number), these faults. */
const atPost = (faults: Record<number, Fault>): FaultPlan => (_n, phase, k) => (phase === 'post' ? faults[k] : undefined);
/** Every third POST request, going through `faults` in turn. */
const cycling = (faults: Fault[]): FaultPlan => (_n, phase, k) => (phase === 'post' && k % 3 === 1 ? faults[((k - 1) / 3) % faults.length] : undefined);
const allPost = (fault: Fault): FaultPlan => (_n, phase) => (phase === 'post' ? fault : undefined);
const NO_RETRY = ['--retries', '0'];

interface FaultCase {
  name: string;
  plan?: FaultPlan;
  app?: TestAppOptions;
  flags?: string[];
  onDeploy?: (app: TestApp) => void;
  watchDeploy?: boolean;
  code: number;
  /** The fault must have been served, and (without retries) each served one is a failed sample with this error. */
  fault?: { kind: Fault['kind']; error?: RegExp };
  /** Errors of failed samples when there is no `fault` (else: `fault.error`); none expected when both are missing. */
  errors?: RegExp;
  check?: (expect: ExpectStatic, o: Outcome) => void;
}

const errorsOf = (o: Outcome) => o.samples.filter((s) => !s.ok).map((s) => s.error ?? '');
/** No failure the machine's load could have caused: the strict counts of a quiet run apply. */
const quiet = (o: Outcome) => !errorsOf(o).some((e) => LOAD_FAILURE.test(e));
const postSamples = (o: Outcome) => o.samples.filter((s) => s.phase === 'post');
const hintCodes = (o: Outcome) => (o.report.hints ?? []).map((h) => h.code);

const transportCases: FaultCase[] = [
  {
    name: '5xx burst mid-window: failed samples, still a verdict',
    plan: postRange(3, 6, { kind: 'status', status: 503 }),
    flags: NO_RETRY,
    code: 0,
    fault: { kind: 'status', error: /^HTTP 503$/ },
    check: (expect, o) => {
      expect(o.report.verdict).toBe('ok');
      const { post, failed } = o.report.samples!;
      expect(post + failed).toBe(10);
      expect(failed).toBeGreaterThanOrEqual(4);
      if (quiet(o)) expect(failed).toBe(4);
      expect(o.report.details).toContain(`${failed} samples failed (no endpoint answered)`);
    },
  },
  {
    // Five requests apart: the retry of a failed attempt (a few requests later at most, even when
    // late ticks bunch up on a loaded machine) is answered.
    name: '500, 502, 504 on POST requests 2, 7, 12: retried within the tick, nothing lost',
    plan: atPost({ 2: { kind: 'status', status: 500 }, 7: { kind: 'status', status: 502 }, 12: { kind: 'status', status: 504 } }),
    code: 0,
    fault: { kind: 'status' },
    check: (expect, o) => {
      expect(o.report.verdict).toBe('ok');
      expect(o.samples.some((s) => s.ok && s.attempts === 2)).toBe(true);
      if (quiet(o)) {
        expect(o.report.samples).toMatchObject({ post: 10, failed: 0 });
        expect(o.samples.filter((s) => s.attempts === 2)).toHaveLength(o.app.requests.filter((q) => q.response === 'status').length);
      }
    },
  },
  {
    // The endpoint answered every PRE request: failing after the deploy is itself the finding (SPEC §4),
    // decisive once at least half the settled window failed and the rest cannot undo it (8 of 10 ticks).
    name: 'every POST request answers 503 after PRE answered: rollback_recommended, endpoint failing (exit 1), decided early',
    plan: allPost({ kind: 'status', status: 503 }),
    code: 1,
    fault: { kind: 'status', error: /^HTTP 503$/ },
    check: (expect, o) => {
      expect(o.report.verdict).toBe('rollback_recommended');
      expect(o.report.summary).toMatch(new RegExp(`^Endpoint failing after the deploy: ${o.app.url} failed (\\d+) of \\1 POST requests \\(HTTP 503: \\1\\) after answering all 3 PRE requests`));
      expect(hintCodes(o)).toEqual(['endpoint_failing']);
      expect(o.report.samples).toMatchObject({ pre: PRE, post: 0 });
      expect(o.report.samples!.failed).toBeLessThan(10);
      if (quiet(o)) {
        expect(o.report.samples!.failed).toBe(8);
        expect(postSamples(o).every((s) => s.attempts === 2)).toBe(true);
      }
    },
  },
  {
    name: 'connection resets',
    plan: everyNthPost(3, { kind: 'reset' }),
    flags: NO_RETRY,
    code: 0,
    fault: { kind: 'reset', error: /^connection (reset|closed)$/ },
  },
  {
    name: 'connection resets on POST requests 2 and 7, retried: every tick answered',
    plan: atPost({ 2: { kind: 'reset' }, 7: { kind: 'reset' } }),
    code: 0,
    fault: { kind: 'reset' },
    check: (expect, o) => {
      expect(o.samples.some((s) => s.ok && s.attempts === 2)).toBe(true);
      if (quiet(o)) {
        expect(o.report.samples).toMatchObject({ post: 10, failed: 0 });
        expect(o.samples.filter((s) => s.attempts === 2)).toHaveLength(o.app.requests.filter((q) => q.response === 'reset').length);
      }
    },
  },
  {
    name: 'hanging responses: cut off at the request timeout',
    plan: everyNthPost(3, { kind: 'hang' }),
    code: 0,
    fault: { kind: 'hang', error: /^timeout after \d+ms$/ },
  },
  {
    name: 'slowloris body (headers, then a byte every 50 ms): cut off at the request timeout',
    plan: everyNthPost(3, { kind: 'slowloris', byteEveryMs: 50 }),
    code: 0,
    fault: { kind: 'slowloris', error: /^timeout after \d+ms$/ },
  },
  {
    name: 'truncated JSON (Content-Length larger than what is sent, then close)',
    plan: everyNthPost(3, { kind: 'truncated' }),
    flags: NO_RETRY,
    code: 0,
    fault: { kind: 'truncated', error: /^(body shorter than its Content-Length|connection (reset|closed))$/ },
  },
  {
    name: 'app gone after the deploy (connection refused): rollback_recommended, endpoint failing (exit 1)',
    onDeploy: (app) => void app.close(),
    code: 1,
    errors: /^connection refused$/,
    check: (expect, o) => {
      expect(o.report.verdict).toBe('rollback_recommended');
      expect(o.report.summary).toMatch(/failed (\d+) of \1 POST requests \(connection refused: \1\) after answering all 3 PRE requests/);
      expect(o.report.samples).toMatchObject({ post: 0 });
    },
  },
];

const bodyCases: FaultCase[] = [
  {
    name: 'malformed bodies: invalid JSON, bare NaN / Infinity tokens, JSON without a metrics object',
    plan: cycling([
      { kind: 'malformed' },
      { kind: 'malformed', body: '{"metrics": {"error_rate": NaN, "latency_p95": Infinity}}' },
      { kind: 'malformed', body: '{"foo": 1}' },
    ]),
    flags: NO_RETRY,
    code: 0,
    fault: { kind: 'malformed', error: /^malformed body: (not JSON|no "metrics" object)$/ },
    check: (expect, o) => {
      expect(errorsOf(o).filter((e) => e === 'malformed body: not JSON').length).toBeGreaterThanOrEqual(2);
      expect(errorsOf(o)).toContain('malformed body: no "metrics" object');
    },
  },
  {
    name: 'huge bodies: 8 MiB chunked (cut off at 1 MiB), 512 MiB announced by Content-Length (refused unread)',
    plan: cycling([
      { kind: 'huge', bytes: 8 * 1024 * 1024 },
      { kind: 'huge', bytes: 512 * 1024 * 1024, declareLength: true },
    ]),
    flags: NO_RETRY,
    code: 0,
    fault: { kind: 'huge', error: /^body larger than 1048576 bytes$/ },
  },
  {
    name: 'deeply nested JSON (100k levels), as the metrics value or inside one metric: refused before parsing',
    plan: cycling([{ kind: 'nested' }, { kind: 'nested', at: 'value' }]),
    flags: NO_RETRY,
    code: 0,
    fault: { kind: 'nested', error: /^malformed body: nested deeper than 64 levels$/ },
  },
  {
    name: 'duplicate keys in the metrics object: the last one counts (as JSON.parse reads it)',
    plan: allPost({ kind: 'duplicateKeys', first: { error_rate: 0.9, latency_p95: 5000 } }),
    code: 0,
    fault: { kind: 'duplicateKeys' },
    check: (expect, o) => {
      expect(o.report.verdict).toBe('ok');
      const post = postSamples(o).filter((s) => s.ok);
      expect(post.length).toBeGreaterThan(0);
      for (const s of post) expect(s.metrics).toEqual({ ...DEFAULT_METRICS, app_request: requestOf(o, s).seq });
    },
  },
];

const INVALID = { error_rate: 'NaN', latency_p95: 'Infinity', latency_p99: '-Infinity', cpu_usage: 'high', memory_usage: -0.5 };

const valueCases: FaultCase[] = [
  {
    name: 'NaN / Infinity as strings, plain strings, negative values: stored, never judged, reported',
    // Every other POST sample; the others are healthy, so each metric still has numbers to judge.
    app: { metrics: (_n, phase, q) => (phase === 'post' && q.phaseSeq % 2 === 0 ? { ...DEFAULT_METRICS, ...INVALID } : { ...DEFAULT_METRICS }) },
    code: 0,
    check: (expect, o) => {
      expect(o.report.verdict).not.toBeNull();
      expect(hintCodes(o)).toContain('invalid_values');
      // Stored as the app sent them (the audit trail), not as numbers.
      const invalid = postSamples(o).filter((s) => s.ok && requestOf(o, s).phaseSeq % 2 === 0);
      expect(invalid.length).toBeGreaterThan(0);
      for (const s of invalid) expect(s.metrics).toMatchObject(INVALID);
      const n = invalid.length;
      for (const name of Object.keys(INVALID)) expect(o.report.details).toContain(`${name}: ${n} invalid value${n === 1 ? '' : 's'} ignored (not a number, or negative)`);
    },
  },
  {
    name: 'metrics appearing and vanishing between samples',
    app: {
      metrics: (_n, phase, q) => {
        if (phase !== 'post') return { ...DEFAULT_METRICS, legacy_gauge: 1 };
        // db_connections stops being reported; queue_depth appears; cpu_usage is there one sample in two.
        const { db_connections: _gone, cpu_usage, ...rest } = DEFAULT_METRICS;
        return { ...rest, queue_depth: 4, ...(q.phaseSeq % 2 === 0 ? { cpu_usage } : {}) };
      },
    },
    code: 0,
    check: (expect, o) => {
      expect(o.report.verdict).toBe('attention');
      expect(o.report.summary).toBe('Needs attention: missing data for db_connections');
      expect(hintCodes(o)).toContain('metrics_missing_after_deploy');
      const post = postSamples(o).filter((s) => s.ok);
      expect(post.every((s) => s.metrics?.queue_depth === 4 && !('db_connections' in s.metrics!))).toBe(true);
      for (const s of post) expect('cpu_usage' in s.metrics!).toBe(requestOf(o, s).phaseSeq % 2 === 0);
    },
  },
  {
    name: 'every known metric vanishes after the deploy: attention, never ok',
    app: { metrics: (_n, phase) => (phase === 'post' ? { something_else: 1 } : { ...DEFAULT_METRICS }) },
    code: 0,
    check: (expect, o) => {
      expect(o.report.verdict).toBe('attention');
      expect(o.report.summary).toBe(`Needs attention: missing data for ${Object.keys(DEFAULT_METRICS).join(', ')}`);
      expect(o.report.details).toContain(`error_rate: no data after the deploy (${o.report.samples!.pre} samples before)`);
      expect(hintCodes(o)).toContain('metrics_missing_after_deploy');
    },
  },
];

/** Epoch ms shifted: the app's clock, skewed from seqpulse's. */
const skewed = (offsetMs: number) => () => Date.now() + offsetMs;
/** A clock `offsetMs` ahead on one request, as far behind on the next (the app reads it once per request). */
const swinging = (offsetMs: number) => {
  let calls = 0;
  return () => Date.now() + (calls++ % 2 === 0 ? offsetMs : -offsetMs);
};

const clockCases: FaultCase[] = [
  {
    name: 'app clock 250 s ahead of seqpulse, then 250 s behind (inside the 300 s window), with its own skewed timestamp in the body',
    app: { now: swinging(250_000), documentFields: () => ({ timestamp: new Date(Date.now() + 250_000).toISOString(), taken_at: '2001-01-01T00:00:00Z' }) },
    code: 0,
    check: (expect, o) => {
      expect(o.report.verdict).toBe('ok');
      expect(o.app.allSignaturesValid()).toBe(true);
      // The app's clock is not seqpulse's: what is stored is when seqpulse took the sample.
      const exited = Date.now();
      for (const s of o.samples) {
        expect(Date.parse(s.taken_at)).toBeGreaterThan(exited - o.elapsedMs - 1000);
        expect(Date.parse(s.taken_at)).toBeLessThanOrEqual(exited);
      }
    },
  },
  {
    name: 'app clock ahead by 400 s: signature rejected before the deploy (exit 2), nothing deployed',
    app: { now: skewed(400_000) },
    watchDeploy: true,
    code: 2,
    check: (expect, o) => {
      expect(o.deployedAt).toBeUndefined();
      expect(o.report.error?.code).toBe('signature_rejected');
      expect(o.report.error?.message).toMatch(/the secret or the clock is wrong/);
      expect(o.report.error?.hint).toMatch(/clocks are within 5m of each other/);
      expect(o.app.requests.every((q) => q.verify.ok === false && q.verify.reason.includes('timestamp'))).toBe(true);
    },
  },
  {
    name: 'app clock jumps 400 s at the deploy: POST rejected, counted as failed, no verdict (exit 3)',
    app: { now: () => Date.now() + clockJump.offset },
    onDeploy: () => (clockJump.offset = 400_000),
    code: 3,
    errors: /rejected the signed request \(HTTP 401\)/,
    check: (expect, o) => {
      expect(o.report.verdict).toBeNull();
      // The verdict says why, not "check that the endpoints are reachable": they were, and refused the signature.
      expect(o.report.summary).toBe('No verdict: no POST sample could be collected (the endpoints rejected the signed requests after the deploy)');
      expect(o.report.details?.[0]).toMatch(/^0 POST samples collected \(\d+ failed\); \d+ rejected the signature \(HTTP 401\/403\): check the secret/);
      expect(o.r.stderr).toMatch(/rejected the signed request \(HTTP 401\).*after the deploy: samples are counted as failed/);
      for (const e of errorsOf(o)) expect(e).toMatch(/rejected the signed request \(HTTP 401\)/);
    },
  },
];
/** The clock of the last case above (cases run concurrently: only that one reads it). */
const clockJump = { offset: 0 };

/**
 * Store faults. Root ignores permissions, so when the tests run as root the read-only cases run
 * the CLI as `nobody` (a real permission check, as a CI user would hit it); they are skipped only
 * when nobody cannot run this checkout at all. A full disk is the kernel's file size limit
 * (RLIMIT_FSIZE, `ulimit -f`): writes past it fail (EFBIG) exactly where they would on a full
 * filesystem, for any user, without mounting a small filesystem (which needs privileges).
 */
const NOBODY = { uid: 65534, gid: 65534 };
const asRoot = process.getuid?.() === 0;
const nobodyCanRun = asRoot && spawnSync(process.execPath, [BIN, '--version'], { ...NOBODY, cwd: '/' }).status === 0;
const readOnlyCli = asRoot ? { user: NOBODY } : {};
/** `ulimit -f` counts 512-byte blocks in a POSIX shell. */
const fileSizeLimit = (bytes: number) => ({ prefix: ['sh', '-c', `ulimit -f ${Math.floor(bytes / 512)} && exec "$0" "$@"`] });
/** A WAL frame: a 4096-byte page and its 24-byte header (the WAL itself starts with 32 bytes). */
const WAL_FRAME = 4096 + 24;

async function createdStore(path: string): Promise<void> {
  await (await openStore(path)).close();
}

/** Holds a write transaction on the store from another connection (this process), as a second writer would. */
function lockStore(path: string): { release(): void } {
  const db = new BetterSqlite3(path);
  db.exec('BEGIN IMMEDIATE');
  return {
    release() {
      if (!db.open) return;
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

/** How long a lock is held: the fault's duration, not a wait for something to happen (those wait on the app's requests or the CLI's exit). */
const holdFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Exit 2, nothing deployed; PRE answers (if any were taken) are not stored: there was no run to store them in. */
function storeUnusable(expect: ExpectStatic, o: Outcome, message: RegExp, extraMs = 0): void {
  common(expect, o, { code: 2, extraMs, allGoodStored: false });
  expect(o.report.error?.code).toBe('store_error');
  expect(o.report.error?.message).toMatch(message);
  expect(o.deployedAt, 'nothing was deployed').toBeUndefined();
}

describe.concurrent('fault injection end to end: the store fails', () => {
  // First: they wait out the busy timeout, so they start with the rest rather than after it.
  it(`store locked past the busy timeout (${BUSY_TIMEOUT_MS / 1000} s) before the run is created: exit 2, nothing deployed, nothing stored`, async ({ expect }) => {
    const o = await cycle({
      idle: true,
      watchDeploy: true,
      store: createdStore,
      during: async ({ store, exited }) => {
        const lock = lockStore(store);
        await exited;
        lock.release();
      },
    });
    storeUnusable(expect, o, new RegExp(`store\\.db is locked by another process \\(still busy after ${BUSY_TIMEOUT_MS / 1000}s\\)$`), BUSY_TIMEOUT_MS);
    // It waited out the busy timeout after PRE, and no longer.
    expect(o.exitedAt - o.app.requests[PRE - 1]!.time).toBeGreaterThanOrEqual(BUSY_TIMEOUT_MS);
    expect(o.report.error?.hint).toMatch(/holds a write transaction/);
    const db = await openStore(o.store);
    expect(await db.listRuns({})).toEqual([]);
    await db.close();
  });

  it(`store locked past the busy timeout in the middle of the window: exit 3 saying the deploy went ahead`, async ({ expect }) => {
    const o = await cycle({
      idle: true,
      watchDeploy: true,
      store: createdStore,
      during: async ({ app, store, exited }) => {
        await app.waitForRequests(PRE + 3, 10_000);
        const lock = lockStore(store);
        await exited;
        lock.release();
      },
    });
    // The answers that came while the store was locked could not be stored.
    common(expect, o, { code: 3, extraMs: BUSY_TIMEOUT_MS, allGoodStored: false });
    expect(o.deployedAt, 'the deploy ran').toBeDefined();
    expect(o.report.error?.message).toMatch(/is locked by another process \(still busy after \d+s\); the deploy went ahead, but no verdict could be made$/);
    const db = await openStore(o.store);
    const [run] = await db.listRuns({});
    const samples = await db.getSamples(run!.id);
    await db.close();
    expect(samples.filter((s) => s.phase === 'pre')).toHaveLength(PRE);
    expect(samples.every((s) => s.ok)).toBe(true);
  });

  it('store path under a regular file (ENOTDIR): exit 2 before anything, nothing deployed', async ({ expect }) => {
    const o = await cycle({
      watchDeploy: true,
      store: (_path, cwd) => {
        writeFileSync(join(cwd, 'not-a-dir'), '');
        return join(cwd, 'not-a-dir', 'store.db');
      },
    });
    storeUnusable(expect, o, /^store .*not-a-dir\/store\.db is under a path that is not a directory \(.*\/not-a-dir is a file\)$/);
    expect(o.app.requests).toHaveLength(0);
  });

  it('a file that is not a SQLite database: exit 2 before anything, nothing deployed, the file untouched', async ({ expect }) => {
    const text = 'these are not the runs you are looking for\n'.repeat(200);
    const o = await cycle({ watchDeploy: true, store: (path) => writeFileSync(path, text) });
    storeUnusable(expect, o, /is not a seqpulse store \(not a SQLite database\)$/);
    expect(o.app.requests).toHaveLength(0);
    expect(spawnSync('cat', [o.store], { encoding: 'utf8' }).stdout).toBe(text);
  });

  it('a store file cut short (a copy that stopped half-way): exit 2 saying it is damaged and what to do, for a run (nothing deployed) and for history', async ({ expect }) => {
    const o = await cycle({
      watchDeploy: true,
      store: async (path) => {
        await storeWithFinishedRuns(path, 300);
        truncateSync(path, Math.floor(statSync(path).size / 2));
      },
    });
    storeUnusable(expect, o, /is damaged: SQLite reports the database disk image is malformed/);
    expect(o.app.requests).toHaveLength(0);
    const history = await runCli(['history', '--store', o.store], { cwd: tempDir() });
    expect(history.code).toBe(2);
    expect(history.stderr).toContain('is damaged: SQLite reports the database disk image is malformed');
    expect(history.stderr).toContain('Restore it from a copy, or move it aside');
  });

  it.skipIf(asRoot && !nobodyCanRun)(`read-only store directory${asRoot ? ' (CLI run as nobody: root ignores permissions)' : ''}: exit 2, nothing deployed`, async ({ expect }) => {
    const o = await cycle({
      watchDeploy: true,
      cli: readOnlyCli,
      store: (_path, cwd) => {
        const dir = join(cwd, 'read-only');
        mkdirSync(dir);
        chmodSync(dir, 0o555);
        chmodSync(cwd, 0o755);
        return join(dir, 'store.db');
      },
    });
    storeUnusable(expect, o, /read-only\/store\.db cannot be created: .*\/read-only is not writable$/);
    expect(o.app.requests).toHaveLength(0);
  });

  it.skipIf(asRoot && !nobodyCanRun)(`existing store in a read-only directory, file read-only${asRoot ? ' (as nobody)' : ''}: exit 2, nothing deployed, nothing written`, async ({ expect }) => {
    const o = await cycle({
      watchDeploy: true,
      cli: readOnlyCli,
      store: async (_path, cwd) => {
        const dir = join(cwd, 'read-only');
        const path = join(dir, 'store.db');
        await createdStore(path);
        chmodSync(path, 0o444);
        chmodSync(dir, 0o555);
        chmodSync(cwd, 0o755);
        return path;
      },
    });
    storeUnusable(expect, o, /read-only\/store\.db cannot be opened for writing$/);
    expect(o.app.requests).toHaveLength(0);
    const db = await openStore(o.store);
    expect(await db.listRuns({})).toEqual([]);
    await db.close();
  });

  it('disk full while the store is created (file size limit 32 KiB): exit 2 before anything, nothing deployed', async ({ expect }) => {
    const o = await cycle({ watchDeploy: true, cli: fileSizeLimit(32 * 1024) });
    storeUnusable(expect, o, /store\.db cannot be written: disk I\/O error/);
    expect(o.report.error?.hint).toMatch(/Free some disk space/);
    expect(o.app.requests).toHaveLength(0);
  });

  it('disk full in the middle of the window: exit 3 saying the deploy went ahead; what was stored is intact and the run is settled later', async ({ expect }) => {
    // An existing store (no WAL) and room for 20 WAL frames: the run, PRE and its updates take about
    // 9, each POST sample about 2, so the disk fills a few samples into the window.
    const o = await cycle({ watchDeploy: true, store: createdStore, cli: fileSizeLimit(32 + 20 * WAL_FRAME) });
    // The answers that came once the disk was full could not be stored.
    common(expect, o, { code: 3, allGoodStored: false });
    expect(o.deployedAt, 'the deploy ran').toBeDefined();
    expect(o.report.error?.code).toBe('store_error');
    expect(o.report.error?.message).toMatch(/store\.db cannot be written: disk I\/O error .*; the deploy went ahead, but no verdict could be made$/);

    const db = new BetterSqlite3(o.store);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    const store = await openStore(o.store);
    const [run] = await store.listRuns({});
    const samples = await store.getSamples(run!.id);
    await store.close();
    expect(run).toMatchObject({ status: 'observing', result: 'success' });
    // Every sample that made it is whole: PRE complete, POST up to where the disk filled.
    expect(samples.filter((s) => s.phase === 'pre' && s.ok)).toHaveLength(PRE);
    const post = samples.filter((s) => s.phase === 'post');
    expect(post.length).toBeGreaterThan(0);
    expect(post.length).toBeLessThan(10);
    expect(post.every((s) => s.ok && s.metrics !== null)).toBe(true);
    // The next command (with room again) sees the process is gone and settles the run.
    const history = await runCli(['history', '--json', '--store', o.store], { cwd: o.cwd });
    expect(history.code).toBe(0);
    expect(JSON.parse(history.stdout)[0]).toMatchObject({ id: run!.id, status: 'abandoned' });
  });

  it('store locked by another writer, released within the busy timeout before the run is created: waits, then a normal run', async ({ expect }) => {
    let releasedAt = 0;
    const o = await cycle({
      watchDeploy: true,
      store: createdStore,
      during: async ({ app, store }) => {
        const lock = lockStore(store);
        // Held through PRE and a second past it: creating the run has to wait for it.
        await app.waitForRequests(PRE, 10_000);
        await holdFor(1000);
        releasedAt = Date.now();
        lock.release();
      },
    });
    common(expect, o, { code: 0, extraMs: 1000 });
    expect(o.report.verdict).toBe('ok');
    expect(o.deployedAt).toBeGreaterThanOrEqual(releasedAt);
  });

  it('store locked for a second in the middle of the window: every sample still stored (the wait blocks nothing)', async ({ expect }) => {
    const o = await cycle({
      store: createdStore,
      during: async ({ app, store }) => {
        await app.waitForRequests(PRE + 3, 10_000);
        const lock = lockStore(store);
        await holdFor(1000);
        lock.release();
      },
    });
    common(expect, o, { code: 0, extraMs: 1000 });
    expect(o.report.verdict).toBe('ok');
    // A wait that blocked the event loop lost 7 of the 10 POST samples ("deadline passed"); a
    // starved runner may miss one or two deadlines on its own.
    if (quiet(o)) expect(o.report.samples).toEqual({ pre: PRE, post: 10, failed: 0 });
    expect(o.report.samples!.failed).toBeLessThanOrEqual(2);
  });
});

describe.concurrent('fault injection end to end: the app misbehaves', () => {
  it.for([...transportCases, ...bodyCases, ...valueCases, ...clockCases])('$name', async (c, { expect }) => {
    const o = await cycle({ plan: c.plan, app: c.app, flags: c.flags, onDeploy: c.onDeploy, watchDeploy: c.watchDeploy });
    common(expect, o, { code: c.code });
    const errors = errorsOf(o);
    const expected = c.fault?.error ?? c.errors;
    // Failures are the fault's, or (on a loaded runner only) timeouts and missed deadlines.
    for (const e of errors) expect([expected?.test(e), LOAD_FAILURE.test(e)], `${e}\n${describeOutcome(o)}`).toContain(true);
    if (c.fault) {
      const served = o.app.requests.filter((q) => q.response === c.fault!.kind).length;
      expect(served, 'the fault was served').toBeGreaterThan(0);
      if (c.fault.error) {
        expect(errors.some((e) => c.fault!.error!.test(e))).toBe(true);
        // Without retries each fault served is one failed sample (give or take what load adds).
        const load = errors.filter((e) => !c.fault!.error!.test(e)).length;
        if (c.flags?.includes('--retries') && load === 0) expect(errors.length, describeOutcome(o)).toBe(served);
      }
    }
    try {
      c.check?.(expect, o);
    } catch (err) {
      if (err instanceof Error) err.message += `\n${describeOutcome(o)}`;
      throw err;
    }
  });
});

