/**
 * Fixed-rate sampling: tick i fires at startAt + i * interval, whatever earlier ticks are doing.
 * A slow or retrying request never shifts later samples, because ticks are not chained: each one
 * runs on its own and the schedule only waits for all of them at the end.
 */
import type { Clock } from './clock.js';

export interface Tick {
  index: number;
  scheduledAt: number;
  firedAt: number;
}

export interface SchedulePlan {
  count: number;
  startAt: number;
  intervalMs: number;
}

/**
 * Runs every tick (unless aborted) and resolves when all of them have settled. Returns the ticks
 * fired. A tick that throws stops the schedule (no new tick fires) and its error is rethrown once
 * the ticks in flight have settled: ticks are expected to handle their own request failures.
 */
export async function runFixedRate(plan: SchedulePlan, clock: Clock, onTick: (tick: Tick) => Promise<void>, signal?: AbortSignal): Promise<Tick[]> {
  const fired: Tick[] = [];
  const running: Promise<void>[] = [];
  const failure = new AbortController();
  let error: { cause: unknown } | undefined;
  const stop = signal ? AbortSignal.any([signal, failure.signal]) : failure.signal;
  for (let index = 0; index < plan.count; index++) {
    const scheduledAt = plan.startAt + index * plan.intervalMs;
    await clock.sleepUntil(scheduledAt, stop);
    if (stop.aborted) break;
    const tick = { index, scheduledAt, firedAt: clock.now() };
    fired.push(tick);
    running.push(
      onTick(tick).catch((cause: unknown) => {
        error ??= { cause };
        failure.abort();
      }),
    );
  }
  await Promise.all(running);
  if (error) throw error.cause;
  return fired;
}
