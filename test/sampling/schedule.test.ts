import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/sampling/clock.js';
import { runFixedRate } from '../../src/sampling/schedule.js';

/** A clock that only moves when the test says so; sleepers wake in time order. */
function manualClock(start = 0) {
  let now = start;
  const sleepers: { at: number; wake: () => void }[] = [];
  const clock: Clock = {
    now: () => now,
    sleepUntil: (at, signal) =>
      new Promise<void>((resolve) => {
        if (at <= now || signal?.aborted) return resolve();
        sleepers.push({ at, wake: resolve });
        signal?.addEventListener('abort', () => resolve(), { once: true });
      }),
  };
  return {
    clock,
    /** Moves time forward to `to`, waking sleepers (and letting their continuations run) one by one. */
    async advanceTo(to: number) {
      for (;;) {
        // Let the code under test run until it sleeps again before looking at who is waiting.
        await new Promise((r) => setImmediate(r));
        sleepers.sort((a, b) => a.at - b.at);
        const next = sleepers[0];
        if (!next || next.at > to) break;
        sleepers.shift();
        now = next.at;
        next.wake();
      }
      now = to;
    },
  };
}

describe('fixed-rate schedule', () => {
  it('fires tick i at start + i * interval, even while earlier ticks are still running', async () => {
    const { clock, advanceTo } = manualClock(1000);
    const release: (() => void)[] = [];
    const running = runFixedRate({ count: 5, startAt: 1000, intervalMs: 100 }, clock, (tick) => new Promise<void>((r) => release.push(() => r())).then(() => void tick));
    await advanceTo(1400);
    // All five ticks fired on time although none of them has finished (a slow request shifts nothing).
    expect(release).toHaveLength(5);
    release.forEach((r) => r());
    const ticks = await running;
    expect(ticks.map((t) => t.scheduledAt)).toEqual([1000, 1100, 1200, 1300, 1400]);
    expect(ticks.map((t) => t.firedAt - t.scheduledAt)).toEqual([0, 0, 0, 0, 0]);
  });

  it('waits for every tick before resolving', async () => {
    const { clock, advanceTo } = manualClock(0);
    let finished = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const running = runFixedRate({ count: 2, startAt: 0, intervalMs: 10 }, clock, async () => {
      await gate;
      finished++;
    });
    let resolved = false;
    void running.then(() => (resolved = true));
    await advanceTo(10);
    expect(resolved).toBe(false);
    release();
    await running;
    expect(finished).toBe(2);
  });

  it('stops firing when aborted', async () => {
    const { clock, advanceTo } = manualClock(0);
    const controller = new AbortController();
    const fired: number[] = [];
    const running = runFixedRate({ count: 10, startAt: 0, intervalMs: 10 }, clock, async (t) => void fired.push(t.index), controller.signal);
    await advanceTo(20);
    controller.abort();
    await advanceTo(100);
    await running;
    expect(fired).toEqual([0, 1, 2]);
  });

  it('a tick that throws stops the schedule and the error surfaces', async () => {
    const { clock, advanceTo } = manualClock(0);
    const running = runFixedRate({ count: 10, startAt: 0, intervalMs: 10 }, clock, async (t) => {
      if (t.index === 1) throw new Error('disk full');
    });
    const outcome = running.then(() => 'resolved', (e: Error) => e.message);
    await advanceTo(100);
    expect(await outcome).toBe('disk full');
  });
});
