/**
 * One sampling phase (PRE or POST): the fixed-rate schedule, one signed request per endpoint per
 * tick, every raw result handed over for storage as soon as it and every earlier tick's have
 * arrived (ticks can end out of order; everything after the requests happens in tick order),
 * progress shown as it goes.
 */
import { randomUUID } from 'node:crypto';
import { aggregateTick } from '../core/aggregate.js';
import { emptyColumns, type PhaseColumns } from '../core/columns.js';
import { ALL_ENDPOINTS, type EndpointTally } from '../core/outage.js';
import type { Phase, Rules } from '../core/types.js';
import { CredentialsError } from '../errors.js';
import type { Logger } from '../output/logger.js';
import type { Progress } from '../output/progress.js';
import { shorten } from '../output/terminal.js';
import type { Clock } from '../sampling/clock.js';
import { runFixedRate, type Tick } from '../sampling/schedule.js';
import type { EndpointResult, MetricSource } from '../sources/types.js';
import type { StoredSample } from '../store/types.js';

export interface PhaseDeps {
  source: MetricSource;
  clock: Clock;
  progress: Progress;
  logger: Logger;
  /** Aborted on SIGINT/SIGTERM: no new tick starts, requests in flight are cancelled. */
  signal: AbortSignal;
}

export interface PhasePlan {
  runId: string;
  phase: Phase;
  /** Ticks planned. */
  count: number;
  /**
   * PRE: a tick that got no data is replaced by an extra tick, up to `count` extra ones, so failed
   * requests cost time, not evidence. Without it, the phase is exactly `count` ticks.
   */
  replaceFailed?: boolean;
  startAt: number;
  intervalMs: number;
  timeoutMs: number;
  endpoints: number;
  rules: Rules;
  /** Persists raw samples; awaited, so a stored tick is never half-written. */
  save: (samples: StoredSample[]) => Promise<void>;
  /** Every request's outcome, per endpoint, in tick order. */
  tally?: EndpointTally;
  /** POST ticks of the settle period, counted from the deploy whether they got data or not. */
  settle?: number;
  /** After every tick (POST): whether to end the phase now (no new tick starts), and what to show live. */
  look?: (post: PhaseColumns, progress: TickProgress) => { stop: boolean; live?: string };
}

/** Where the phase stands after a tick: the settle period is time since the deploy, not samples that had data. */
export interface TickProgress {
  /** Ticks ended so far, with data or not. */
  ticks: number;
  /** Samples so far that came from the settle period's ticks (the first ones the judge sets aside). */
  settling: number;
}

export interface PhaseOutcome {
  /** Ticks where no endpoint answered. */
  failed: number;
  /** Ticks with data. */
  collected: number;
  /** Ticks stored when stopWhen ended the phase early. */
  stoppedAfter?: number;
  /**
   * Whether the phase's evidence was all in before any signal: every planned tick's requests had
   * ended (or the early decision was made) first. A signal after that cut only waiting (a write
   * on a locked store), not the window.
   */
  completeBeforeSignal: boolean;
}

/** A tick's answers, and whether its requests ended after the phase was stopped (their failures then the stop's). */
interface Sampled {
  results: EndpointResult[];
  cutOff: boolean;
  /** When its requests were due: its slot, or later for an extra PRE tick that waited to know whether it was needed. */
  startAt: number;
}

export async function collectPhase(deps: PhaseDeps, plan: PhasePlan): Promise<PhaseOutcome> {
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort(deps.signal.reason);
  // A signal that came while the phase was being prepared (a store write waiting on a lock) stops it too: 'abort' fired then.
  if (deps.signal.aborted) onOuterAbort();
  else deps.signal.addEventListener('abort', onOuterAbort, { once: true });
  // Samples are handed to `save` and not kept: over an hour at 1 s they would be most of the memory.
  // Columns, filled as ticks arrive: the live view and the early decision judge them after every tick.
  const columns = emptyColumns(plan.rules, Math.min(plan.count, 1024));
  let failed = 0;
  const progress: TickProgress = { ticks: 0, settling: 0 };
  let stoppedAfter: number | undefined;
  let authError: CredentialsError | undefined;
  // Ticks among the planned ones that have ended: when all of them got nothing, nothing answers at
  // all (the app is down), and waiting longer for a baseline would only delay the deploy.
  let plannedDone = 0;
  /** Ticks started whose in-order work (below) has not ended yet: their samples may still come. */
  let pending = 0;
  // Ticks can end out of order (a slow answer, a Retry-After waited out inside one tick): the
  // columns, the progress lines and the early decision take them in tick order, as the store's
  // sequence numbers and the verdict do (a settle sample judged, a counter's rate read backwards).
  const inOrder = tickSequence();
  let unrecorded = false;
  /** Ticks whose requests ended before any signal, and whether the early decision came before one. */
  let endedBeforeSignal = 0;
  let decidedBeforeSignal = false;
  const endsAt = plan.startAt + (plan.count - 1) * plan.intervalMs;
  const ticks = plan.replaceFailed ? 2 * plan.count : plan.count;
  /** How long a tick's requests may take: its interval, or the timeout when that is longer (ticks then overlap). */
  const tickBudget = Math.max(plan.intervalMs, plan.timeoutMs);
  // Extra PRE ticks waiting to know whether they are needed are told each time a tick ends, and at a stop.
  let tickEnded = signalled();
  stop.signal.addEventListener('abort', () => tickEnded.fire(), { once: true });

  try {
    await runFixedRate(
      { count: ticks, startAt: plan.startAt, intervalMs: plan.intervalMs },
      deps.clock,
      async (tick) => {
        let counted = false;
        let sampled: Sampled | undefined;
        try {
          let startAt = tick.scheduledAt;
          if (tick.index < plan.count) pending++;
          else if (await neededExtra(tick)) startAt = Math.max(startAt, deps.clock.now());
          else return;
          counted = true;
          sampled = await sampleTick(startAt);
        } finally {
          await inOrder(tick.index, async () => {
            try {
              // Once a tick could not be recorded (a store locked past its busy timeout, a full
              // disk), the phase ends with that error: the ticks after it do not wait on it in turn.
              if (sampled && !unrecorded) await recordTick(tick, sampled);
            } catch (err) {
              unrecorded = true;
              throw err;
            } finally {
              if (counted) {
                pending--;
                const ended = tickEnded;
                tickEnded = signalled();
                ended.fire();
              }
            }
          });
        }
      },
      stop.signal,
    );
  } finally {
    deps.signal.removeEventListener('abort', onOuterAbort);
  }
  if (authError && plan.phase === 'pre') throw authError;
  const outcome = { failed, collected: columns.length, completeBeforeSignal: decidedBeforeSignal || endedBeforeSignal >= plan.count };
  return stoppedAfter === undefined ? outcome : { ...outcome, stoppedAfter };

  /**
   * Whether an extra PRE tick is to replace a failed one. While the ticks under way could still
   * complete PRE it sends nothing (on a slow answer it would ask the app once more, and the answer
   * would be thrown away as soon as the slow one came in), but it waits to know: with a timeout
   * longer than the interval, a tick under way can fail after every extra tick's slot has passed,
   * and PRE was left a sample short. It waits no longer than the ticks under way can take. A tick
   * that is needed is counted under way at once (`pending`), before any other waiting tick looks.
   */
  async function neededExtra(tick: Tick): Promise<boolean> {
    const until = tick.scheduledAt + tickBudget + plan.intervalMs;
    while (columns.length + pending >= plan.count) {
      if (columns.length >= plan.count || stop.signal.aborted || deps.clock.now() >= until) return false;
      const waited = new AbortController();
      await Promise.race([tickEnded.fired, deps.clock.sleepUntil(until, AbortSignal.any([waited.signal, stop.signal]))]);
      waited.abort();
    }
    if (stop.signal.aborted) return false;
    pending++;
    return true;
  }

  /** One tick's requests, from `startAt` (undefined: none to record, the credentials were refused before the deploy). */
  async function sampleTick(startAt: number): Promise<Sampled | undefined> {
    const deadline = startAt + tickBudget;
    let results: EndpointResult[];
    try {
      results = await deps.source.collect({ phase: plan.phase, deploymentId: plan.runId, deadline, signal: stop.signal });
    } catch (err) {
      if (!(err instanceof CredentialsError)) throw err;
      // Before the deploy rejected (or unsafe) credentials are a configuration error: stop everything.
      if (plan.phase === 'pre') {
        authError ??= err;
        stop.abort(err);
        return undefined;
      }
      if (!authError) deps.logger.log('warn', 'signature_rejected', `${err.message} (after the deploy: samples are counted as failed)`, { phase: plan.phase });
      authError ??= err;
      results = [{ endpoint: ALL_ENDPOINTS, ok: false, error: err.message, attempts: 1, taken_at: new Date(deps.clock.now()).toISOString() }];
    }
    if (!deps.signal.aborted) endedBeforeSignal++;
    return { results, cutOff: stop.signal.aborted, startAt };
  }

  /** A tick's results, in tick order: stored, counted per endpoint, then judged (judgeTick). */
  async function recordTick(tick: Tick, { results: answered, cutOff, startAt }: Sampled): Promise<void> {
    // A tick cut off by Ctrl-C (or by the early decision), or one that failed and comes after the
    // early decision in tick order, is not a failed sample: the app did nothing wrong, or the
    // decision was made without it.
    if ((cutOff || stoppedAfter !== undefined) && answered.every((r) => !r.ok)) return;
    // What an endpoint or a metrics command wrote into an error goes to the store, the tally, the
    // live view and every log line of this tick: bounded once, here, for all of them.
    const results = answered.map(boundedError);
    // Rates from counters are timed by it: a sample asked seconds after its slot is stored as asked then.
    const tickSamples = results.map((r) => toStored(plan, tick.index, startAt, r));
    await plan.save(tickSamples);
    for (const r of results) plan.tally?.add(plan.phase, tick.index, r);
    judgeTick(tick, results, tickSamples[0]?.scheduled_at);
  }

  /** A tick's samples into the columns, the progress line and the early decision's look, in tick order. */
  function judgeTick(tick: Tick, results: EndpointResult[], scheduledAt: string | undefined): void {
    // Timed as the store has it (scheduled_at), so a verdict re-judged from the store reads the same rates from counters.
    const snapshot = aggregateTick(results, plan.rules, scheduledAt);
    if (snapshot) columns.append(snapshot);
    else failed++;
    if (snapshot && tick.index < (plan.settle ?? 0)) progress.settling++;
    progress.ticks++;
    if (tick.index < plan.count) plannedDone++;
    const look = plan.look?.(columns, { ...progress });
    deps.progress.sample(
      {
        phase: plan.phase,
        index: tick.index,
        total: plan.count,
        answered: results.filter((r) => r.ok).length,
        endpoints: plan.endpoints,
        failedSoFar: failed,
        endsAt,
        ...(look?.live === undefined ? {} : { live: look.live }),
        errors: results.filter((r) => !r.ok).map((r) => `${r.endpoint}: ${r.error ?? 'failed'}`),
      },
      deps.clock.now(),
    );
    if (stoppedAfter === undefined && look?.stop) {
      stoppedAfter = columns.length + failed;
      decidedBeforeSignal = !deps.signal.aborted;
      stop.abort(new Error('decided early'));
    }
    // PRE has its samples (or nothing answers at all): no extra tick.
    if (plan.replaceFailed && !stop.signal.aborted && (columns.length >= plan.count || (plannedDone === plan.count && columns.length === 0))) stop.abort(new Error('enough samples'));
  }
}

/**
 * Work handed over per tick index, run in index order, one at a time: a tick's work starts once
 * every earlier tick's has ended. Every tick started hands over exactly once, with or without work;
 * the promise returned settles when this index's work has (rejecting as it did).
 */
export function tickSequence(): (index: number, work: () => Promise<void> | void) => Promise<void> {
  const ready = new Map<number, () => Promise<void>>();
  let next = 0;
  let chain: Promise<void> = Promise.resolve();
  return (index, work) =>
    new Promise<void>((resolve, reject) => {
      // One failing tick's work does not hold the others: each settles its own promise.
      ready.set(index, () => Promise.resolve().then(work).then(resolve, reject));
      for (let run = ready.get(next); run !== undefined; run = ready.get(next)) {
        ready.delete(next);
        next++;
        chain = chain.then(run);
      }
    });
}

/**
 * PRE from the source's history (a Prometheus server's last `rangeMs`): no waiting for a baseline.
 * Each step becomes a tick of stored samples, as if it had been sampled then.
 */
export async function backfillPhase(
  deps: PhaseDeps,
  plan: { runId: string; rangeMs: number; intervalMs: number; timeoutMs: number },
): Promise<PhaseOutcome & { samples: StoredSample[] }> {
  const source = deps.source;
  if (!source.backfill) throw new Error('this source keeps no history to take PRE from');
  const now = deps.clock.now();
  const steps = await source.backfill({ rangeMs: plan.rangeMs, stepMs: plan.intervalMs, now, deadline: now + plan.timeoutMs, signal: deps.signal });
  const samples: StoredSample[] = [];
  let failed = 0;
  steps.forEach((results, seq) => {
    const at = Date.parse(results[0]?.taken_at ?? '') || now;
    samples.push(...results.map((r) => toStored({ runId: plan.runId, phase: 'pre' }, seq, at, boundedError(r))));
    if (!results.some((r) => r.ok)) failed++;
  });
  return { samples, failed, collected: steps.length - failed, completeBeforeSignal: !deps.signal.aborted };
}

/**
 * Longest failure reason stored with a sample. A reason may quote what the source answered (a
 * `/metrics` page's malformed token, a server's explanation): megabytes of it, stored with every
 * sample of a window, would fill the disk. Sources mask secrets before this cut.
 */
export const MAX_STORED_ERROR = 2000;

/** The result with its error cut to MAX_STORED_ERROR (the same object when it is short enough). */
function boundedError(r: EndpointResult): EndpointResult {
  return r.error !== undefined && r.error.length > MAX_STORED_ERROR ? { ...r, error: shorten(r.error, MAX_STORED_ERROR) } : r;
}

function toStored(plan: Pick<PhasePlan, 'runId' | 'phase'>, seq: number, scheduledAt: number, r: EndpointResult): StoredSample {
  return {
    id: randomUUID(),
    run_id: plan.runId,
    phase: plan.phase,
    seq,
    endpoint: r.endpoint,
    scheduled_at: new Date(scheduledAt).toISOString(),
    taken_at: r.taken_at,
    ok: r.ok,
    http_status: r.http_status ?? null,
    error: r.error ?? null,
    attempts: r.attempts,
    latency_ms: r.latency_ms ?? null,
    metrics: r.ok ? (r.metrics ?? null) : null,
  };
}

/** A promise and the call that settles it: one event, waited for by any number of ticks. */
function signalled(): { fired: Promise<void>; fire(): void } {
  let fire: () => void = () => undefined;
  const fired = new Promise<void>((resolve) => (fire = resolve));
  return { fired, fire };
}
