/** Which runs are settled as abandoned, on a real SQLite store, with the clock and the process table given. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LEFT_BEHIND_MS, ownerAlive, QUIET_MS, reapAbandoned, thisProcess, type Owner } from '../../src/app/abandoned.js';
import { openStore } from '../../src/store/open.js';
import type { RunRecord } from '../../src/store/types.js';
import { run, verdict } from '../helpers/records.js';

const NOW = Date.parse('2026-01-18T13:00:00.000Z');
const self = { host: 'runner-a', pid: 100 };
const alive = new Set([100, 200]);
const ago = (ms: number) => new Date(NOW - ms).toISOString();

async function reaped(runs: RunRecord[], withVerdict: string[] = [], me: Owner | null = self) {
  const store = await openStore(join(mkdtempSync(join(tmpdir(), 'seqpulse-reap-')), 'seqpulse.db'));
  try {
    await store.upsertRuns(runs);
    for (const id of withVerdict) await store.saveVerdict(verdict(id));
    const ids = (await reapAbandoned(store, me ?? undefined, (o) => alive.has(o.pid), NOW)).map((r) => r.run.id);
    const after = await Promise.all(runs.map(async (r) => (await store.getRun(r.id))!));
    const statuses = Object.fromEntries(after.map((r) => [r.id, r.status]));
    const updated = Object.fromEntries(after.map((r) => [r.id, r.updated_at]));
    return { ids, statuses, updated };
  } finally {
    await store.close();
  }
}

const owned = (host: string, pid: number) => ({ endpoints: [], interval_ms: 1000, window_ms: 10_000, pre_samples: 3, timeout_ms: 500, owner: { host, pid } });

describe('reapAbandoned', () => {
  it('runs on their way to a verdict: only those of this host whose process is gone', async () => {
    const dead = run({ status: 'observing', created_at: ago(60_000), settings: owned('runner-a', 300) });
    const living = run({ status: 'observing', created_at: ago(60_000), settings: owned('runner-a', 200) });
    const elsewhere = run({ status: 'observing', created_at: ago(86_400_000), settings: owned('runner-b', 300) });
    const waiting = run({ status: 'started', command: null, created_at: ago(86_400_000) });
    const { ids, statuses } = await reaped([dead, living, elsewhere, waiting]);
    expect(ids).toEqual([dead.id]);
    expect(statuses).toEqual({ [dead.id]: 'abandoned', [living.id]: 'observing', [elsewhere.id]: 'observing', [waiting.id]: 'started' });
  });

  it('runs an older version left finished without a verdict: at once when their process is gone, else once they have been so for LEFT_BEHIND_MS, whoever owned them', async () => {
    const deadOwner = run({ status: 'finished', created_at: ago(120_000), finished_at: ago(60_000), settings: owned('runner-a', 300) });
    const recentElsewhere = run({ status: 'finished', created_at: ago(120_000), finished_at: ago(60_000), settings: owned('runner-b', 300) });
    const oldElsewhere = run({ status: 'interrupted', created_at: ago(LEFT_BEHIND_MS * 3), finished_at: ago(LEFT_BEHIND_MS + 1000), settings: owned('runner-b', 300) });
    const noOwner = run({ status: 'deploy_failed', command: null, created_at: ago(LEFT_BEHIND_MS * 3), finished_at: ago(LEFT_BEHIND_MS + 1000) });
    const judged = run({ status: 'finished', created_at: ago(LEFT_BEHIND_MS * 3), finished_at: ago(LEFT_BEHIND_MS * 2), settings: owned('runner-a', 300) });
    const { ids, statuses } = await reaped([deadOwner, recentElsewhere, oldElsewhere, noOwner, judged], [judged.id]);
    expect(ids.sort()).toEqual([deadOwner.id, oldElsewhere.id, noOwner.id].sort());
    expect(statuses).toEqual({ [deadOwner.id]: 'abandoned', [recentElsewhere.id]: 'finished', [oldElsewhere.id]: 'abandoned', [noOwner.id]: 'abandoned', [judged.id]: 'finished' });
  });

  it('runs on their way to a verdict with no news for QUIET_MS past their planned end: settled whoever owned them, their updated_at kept; never one still within its planned window', async () => {
    const day = 86_400_000;
    const quiet = { created_at: ago(2 * day), updated_at: ago(2 * day) };
    // Announced to a shared store by a runner that is gone: planned to end 2 days ago (PRE, a 10 s window).
    const announced = run({ status: 'started', ...quiet, settings: owned('runner-b', 300) });
    const unfinishedStart = run({ status: 'started', command: null, created_at: ago(QUIET_MS + 60_000), updated_at: ago(QUIET_MS + 60_000) });
    // A three-day window that began two days ago: still within it.
    const longWindow = run({ status: 'observing', ...quiet, deployed_at: ago(2 * day), settings: { ...owned('runner-b', 300), window_ms: 3 * day } });
    // Ended its window over a day ago by the clock, but its owner wrote to it since.
    const news = run({ status: 'deploying', created_at: ago(2 * day), updated_at: ago(QUIET_MS - 60_000), settings: owned('runner-b', 300) });
    const { ids, statuses, updated } = await reaped([announced, unfinishedStart, longWindow, news]);
    expect(ids.sort()).toEqual([announced.id, unfinishedStart.id].sort());
    expect(statuses).toEqual({ [announced.id]: 'abandoned', [unfinishedStart.id]: 'abandoned', [longWindow.id]: 'observing', [news.id]: 'deploying' });
    expect(updated[announced.id]).toBe(announced.updated_at);
  });

  it('without an owner to compare with (a store it only pushes to): the age rules only, not whose process is gone here', async () => {
    const dead = run({ status: 'observing', created_at: ago(60_000), settings: owned('runner-a', 300) });
    const { ids, statuses } = await reaped([dead], [], null);
    expect(ids).toEqual([]);
    expect(statuses).toEqual({ [dead.id]: 'observing' });
  });

  it('a PID reused by another process (a container starts its processes with the same PIDs each time): the run whose process started earlier is gone', async () => {
    const owner = (pid: number, since?: string) => ({ ...owned('runner-a', pid), owner: { host: 'runner-a', pid, ...(since === undefined ? {} : { since }) } });
    const started = new Map([[100, 'boot/50'], [200, 'boot/70']]);
    const table = (o: Owner) => alive.has(o.pid) && (o.since === undefined || o.since === started.get(o.pid));
    const store = await openStore(join(mkdtempSync(join(tmpdir(), 'seqpulse-reap-')), 'seqpulse.db'));
    try {
      const reused = run({ status: 'observing', created_at: ago(60_000), settings: owner(200, 'boot/10') });
      const living = run({ status: 'observing', created_at: ago(60_000), settings: owner(200, 'boot/70') });
      // This very command's PID, left by an earlier process: no longer taken for this command's own run.
      const mine = run({ status: 'deploying', created_at: ago(60_000), settings: owner(100, 'boot/20') });
      const older = run({ status: 'observing', created_at: ago(60_000), settings: owner(200) });
      await store.upsertRuns([reused, living, mine, older]);
      const ids = (await reapAbandoned(store, { ...self, since: 'boot/50' }, table, NOW)).map((r) => r.run.id);
      expect(ids.sort()).toEqual([reused.id, mine.id].sort());
      expect((await store.getRun(older.id))!.status).toBe('observing');
    } finally {
      await store.close();
    }
  });
});

describe('ownerAlive on this host', () => {
  it('a live process is its owner only if it started when the run says; a dead one never; a PID that is no process never', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await once(child, 'spawn');
      const me = thisProcess();
      expect(me).toMatchObject({ host: hostname(), pid: process.pid });
      // Linux: the start is the boot's id and the start tick (field 22 of /proc/<pid>/stat).
      const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      expect(me.since).toMatch(new RegExp(`^${boot}/\\d+$`));
      const pid = child.pid!;
      expect(ownerAlive({ host: me.host, pid })).toBe(true);
      expect(ownerAlive(me)).toBe(true);
      // The child's start, read here as ps reads it: field 22, counted from the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      expect(ownerAlive({ host: me.host, pid, since: `${boot}/${start}` })).toBe(true);
      expect(ownerAlive({ host: me.host, pid, since: me.since! })).toBe(false);
      expect(ownerAlive({ host: me.host, pid: process.pid, since: `${boot}/1` })).toBe(false);
      for (const bad of [0, -1, 1.5, Number.NaN, 'x' as unknown as number]) expect(ownerAlive({ host: me.host, pid: bad })).toBe(false);
      child.kill('SIGKILL');
      await once(child, 'exit');
      expect(ownerAlive({ host: me.host, pid })).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
