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
  it('tickSequence runs each index\'s work once every earlier index\'s has run', () => {
    const ran: number[] = [];
    const next = tickSequence();
    next(1, () => ran.push(1));
    next(3, () => ran.push(3));
    expect(ran).toEqual([]);
    next(0, () => ran.push(0));
    expect(ran).toEqual([0, 1]);
    next(2, () => ran.push(2));
    expect(ran).toEqual([0, 1, 2, 3]);
  });

  it('the columns, the early decision\'s looks and the progress lines take them in tick order', async () => {
    // Tick 1's answer is held until tick 2's has been stored: it comes in last.
    let releaseFirst: () => void = () => undefined;
    const secondStored = new Promise<void>((resolve) => (releaseFirst = resolve));
    let calls = 0;
    const answer = (value: number): EndpointResult[] => [{ endpoint: 'http://app/ds-metrics', ok: true, metrics: { cpu_usage: value }, attempts: 1, taken_at: new Date().toISOString() }];
    const source: MetricSource = {
      async collect() {
        const call = calls++;
        if (call === 1) await secondStored;
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
          if (samples[0]!.seq === 2) releaseFirst();
        },
        look: (post) => {
          const col = post.column('cpu_usage');
          looks.push(Array.from(col.values.subarray(0, post.length)));
          return { stop: false };
        },
      },
    );
    expect(outcome.collected).toBe(4);
    // Stored as they came (tick 1 after tick 2)...
    expect(stored.indexOf(1)).toBeGreaterThan(stored.indexOf(2));
    // ...judged and shown in tick order.
    expect(looks).toEqual([[0], [0, 1], [0, 1, 2], [0, 1, 2, 3]]);
    expect(lines).toEqual([0, 1, 2, 3]);
  });
});
