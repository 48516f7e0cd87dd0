/**
 * One sampling phase (PRE or POST): the fixed-rate schedule, one signed request per endpoint per
 * tick, every raw result handed over for storage as soon as it arrives, progress shown as it goes.
 */
import { randomUUID } from 'node:crypto';
import { aggregateTick } from '../core/aggregate.js';
import { metricNames, PhaseColumns } from '../core/columns.js';
import type { MetricResult, Phase, Rules } from '../core/types.js';
import { CredentialsError } from '../errors.js';
import type { Logger } from '../output/logger.js';
import type { Progress } from '../output/progress.js';
import type { Clock } from '../sampling/clock.js';
import { runFixedRate } from '../sampling/schedule.js';
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
  count: number;
  startAt: number;
  intervalMs: number;
  timeoutMs: number;
  endpoints: number;
  rules: Rules;
  /** Persists raw samples; awaited, so a stored tick is never half-written. */
  save: (samples: StoredSample[]) => Promise<void>;
  /** Live comparison for the progress display (POST only). */
  live?: (post: PhaseColumns) => MetricResult | undefined;
  /** Checked after every tick: true ends the phase early (no new tick starts). */
  stopWhen?: (post: PhaseColumns) => boolean;
}

export interface PhaseOutcome {
  /** Ticks where no endpoint answered. */
  failed: number;
  /** Ticks stored when stopWhen ended the phase early. */
  stoppedAfter?: number;
}

export async function collectPhase(deps: PhaseDeps, plan: PhasePlan): Promise<PhaseOutcome> {
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort(deps.signal.reason);
  deps.signal.addEventListener('abort', onOuterAbort, { once: true });
  // Samples are handed to `save` and not kept: over an hour at 1 s they would be most of the memory.
  // Columns, filled as ticks arrive: the live view and the early decision judge them after every tick.
  const columns = new PhaseColumns(metricNames(plan.rules), Math.min(plan.count, 1024));
  let failed = 0;
  let stoppedAfter: number | undefined;
  let authError: CredentialsError | undefined;
  const endsAt = plan.startAt + (plan.count - 1) * plan.intervalMs;

  try {
    await runFixedRate(
      { count: plan.count, startAt: plan.startAt, intervalMs: plan.intervalMs },
      deps.clock,
      async (tick) => {
        const deadline = tick.scheduledAt + Math.max(plan.intervalMs, plan.timeoutMs);
        let results: EndpointResult[];
        try {
          results = await deps.source.collect({ phase: plan.phase, deploymentId: plan.runId, deadline, signal: stop.signal });
        } catch (err) {
          if (!(err instanceof CredentialsError)) throw err;
          // Before the deploy rejected (or unsafe) credentials are a configuration error: stop everything.
          if (plan.phase === 'pre') {
            authError ??= err;
            stop.abort(err);
            return;
          }
          if (!authError) deps.logger.log('warn', 'signature_rejected', `${err.message} (after the deploy: samples are counted as failed)`);
          authError ??= err;
          results = [{ endpoint: '*', ok: false, error: err.message, attempts: 1, taken_at: new Date(deps.clock.now()).toISOString() }];
        }
        // A tick cut off by Ctrl-C is not a failed sample: the app did nothing wrong.
        if (stop.signal.aborted && results.every((r) => !r.ok)) return;
        const tickSamples = results.map((r) => toStored(plan, tick.index, tick.scheduledAt, r));
        await plan.save(tickSamples);
        const snapshot = aggregateTick(results, plan.rules);
        if (snapshot) columns.append(snapshot);
        else failed++;
        deps.progress.sample(
          {
            phase: plan.phase,
            index: tick.index,
            total: plan.count,
            answered: results.filter((r) => r.ok).length,
            endpoints: plan.endpoints,
            failedSoFar: failed,
            endsAt,
            worst: plan.live?.(columns),
            errors: results.filter((r) => !r.ok).map((r) => `${r.endpoint}: ${r.error ?? 'failed'}`),
          },
          deps.clock.now(),
        );
        if (stoppedAfter === undefined && plan.stopWhen?.(columns)) {
          stoppedAfter = columns.length + failed;
          stop.abort(new Error('decided early'));
        }
      },
      stop.signal,
    );
  } finally {
    deps.signal.removeEventListener('abort', onOuterAbort);
  }
  if (authError && plan.phase === 'pre') throw authError;
  return stoppedAfter === undefined ? { failed } : { failed, stoppedAfter };
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
    samples.push(...results.map((r) => toStored({ runId: plan.runId, phase: 'pre' }, seq, at, r)));
    if (!results.some((r) => r.ok)) failed++;
  });
  return { samples, failed };
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
