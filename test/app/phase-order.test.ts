/**
 * Ticks can end out of order: a slow answer, or a Retry-After waited out inside one tick, lets the
 * next tick's answer in first. The store keys samples by tick, and the verdict reads them in that
 * order; the columns the live view and the early decision judge, and the progress lines, must too.
 */
import { describe, expect, it } from 'vitest';
import { collectPhase, tickSequence } from '../../src/app/phase.js';
import { rule } from '../../src/core/rules.js';
import { createLogger } from '../../src/output/logger.js';
import type { Progress } from '../../src/output/progress.js';
import { systemClock } from '../../src/sampling/clock.js';
import type { EndpointResult, MetricSource } from '../../src/sources/types.js';

describe('ticks that end out of order', () => {
  it('tickSequence runs each index\'s work, one at a time, once every earlier index\'s has ended', async () => {
    const ran: string[] = [];
    const next = tickSequence();
    let releaseZero: () => void = () => undefined;
    const zeroHeld = new Promise<void>((resolve) => (releaseZero = resolve));
    const work = (i: number, held?: Promise<void>) => async () => {
      ran.push(`${i} start`);
      await held;
      ran.push(`${i} end`);
    };
    const one = next(1, work(1));
    const three = next(3, work(3));
    const zero = next(0, work(0, zeroHeld));
    releaseZero();
    await Promise.all([zero, one]);
    // 1 started only once 0 had ended, though it was handed over first.
    expect(ran).toEqual(['0 start', '0 end', '1 start', '1 end']);
    // A failing work rejects its own promise only; the next index still runs.
    const two = next(2, () => {
      throw new Error('tick 2 failed');
    });
    await expect(two).rejects.toThrow('tick 2 failed');
    await three;
    expect(ran.slice(-2)).toEqual(['3 start', '3 end']);
  });

  it('the columns, the early decision\'s looks and the progress lines take them in tick order', async () => {
    // Tick 1's answer is held until tick 2's has come in: it comes in after it.
    let releaseFirst: () => void = () => undefined;
    const secondAnswered = new Promise<void>((resolve) => (releaseFirst = resolve));
    let calls = 0;
    const answered: number[] = [];
    const answer = (value: number): EndpointResult[] => [{ endpoint: 'http://app/ds-metrics', ok: true, metrics: { cpu_usage: value }, attempts: 1, taken_at: new Date().toISOString() }];
    const source: MetricSource = {
      async collect() {
        const call = calls++;
        if (call === 1) await secondAnswered;
        answered.push(call);
        if (call === 2) releaseFirst();
        return answer(call);
      },
      close: async () => undefined,
    };
    const stored: number[] = [];
    const looks: number[][] = [];
    const lines: number[] = [];
    const progress: Progress = { phase: () => undefined, sample: (p) => lines.push(p.index), stop: () => undefined, with: () => progress };
    const outcome = await collectPhase(
      { source, clock: systemClock, progress, logger: createLogger({ format: 'text', write: () => undefined }), signal: new AbortController().signal },
      {
        runId: 'r',
        phase: 'post',
        count: 4,
        startAt: Date.now(),
        intervalMs: 20,
        timeoutMs: 5_000,
        endpoints: 1,
        rules: { cpu_usage: rule('increase', 50) },
        save: async (samples) => {
          stored.push(samples[0]!.seq);
        },
        look: (post) => {
          const col = post.column('cpu_usage');
          looks.push(Array.from(col.values.subarray(0, post.length)));
          return { stop: false };
        },
      },
    );
    expect(outcome.collected).toBe(4);
    // Answered out of order (tick 1 after tick 2)...
    expect(answered.indexOf(1)).toBeGreaterThan(answered.indexOf(2));
    // ...stored, judged and shown in tick order.
    expect(stored).toEqual([0, 1, 2, 3]);
    expect(looks).toEqual([[0], [0, 1], [0, 1, 2], [0, 1, 2, 3]]);
    expect(lines).toEqual([0, 1, 2, 3]);
  });

  it('an extra PRE tick still replaces a tick that fails after every extra slot has passed (a timeout longer than the interval): PRE gets its samples', async () => {
    // The first request fails only once the extra ticks' slots are over; the others answer slowly.
    let calls = 0;
    const asked: number[] = [];
    const source: MetricSource = {
      async collect() {
        const call = calls++;
        asked.push(call);
        await new Promise((resolve) => setTimeout(resolve, call === 0 ? 300 : 100));
        const taken_at = new Date().toISOString();
        return [call === 0 ? { endpoint: 'http://app/ds-metrics', ok: false, error: 'timeout after 300ms', attempts: 1, taken_at } : { endpoint: 'http://app/ds-metrics', ok: true, metrics: { cpu_usage: call }, attempts: 1, taken_at }];
      },
      close: async () => undefined,
    };
    const progress: Progress = { phase: () => undefined, sample: () => undefined, stop: () => undefined, with: () => progress };
    const stored = new Map<number, string>();
    const startAt = systemClock.now();
    const outcome = await collectPhase(
      { source, clock: systemClock, progress, logger: createLogger({ format: 'text', write: () => undefined }), signal: new AbortController().signal },
      {
        runId: 'r', phase: 'pre', count: 3, startAt, intervalMs: 20, timeoutMs: 1_000, endpoints: 1, rules: { cpu_usage: rule('increase', 50) }, replaceFailed: true,
        save: async (samples) => {
          for (const x of samples) stored.set(x.seq, x.scheduled_at);
        },
      },
    );
    expect(outcome).toMatchObject({ collected: 3, failed: 1 });
    // One request replaced the failed one: no extra tick asked while the slow ones could still do.
    expect(asked).toHaveLength(4);
    // Stored as asked, once the failure was known (rates from counters are timed by it), not at its slot.
    expect([...stored.keys()].sort()).toEqual([0, 1, 2, 3]);
    expect(Date.parse(stored.get(3)!)).toBeGreaterThanOrEqual(startAt + 300);
  });
});
