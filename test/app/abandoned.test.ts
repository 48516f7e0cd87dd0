/** Which runs are settled as abandoned, on a real SQLite store, with the clock and the process table given. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LEFT_BEHIND_MS, reapAbandoned } from '../../src/app/abandoned.js';
import { openStore } from '../../src/store/open.js';
import type { RunRecord } from '../../src/store/types.js';
import { run, verdict } from '../helpers/records.js';

const NOW = Date.parse('2026-01-18T13:00:00.000Z');
const self = { host: 'runner-a', pid: 100 };
const alive = new Set([100, 200]);
const ago = (ms: number) => new Date(NOW - ms).toISOString();

async function reaped(runs: RunRecord[], withVerdict: string[] = []) {
  const store = await openStore(join(mkdtempSync(join(tmpdir(), 'seqpulse-reap-')), 'seqpulse.db'));
  try {
    await store.upsertRuns(runs);
    for (const id of withVerdict) await store.saveVerdict(verdict(id));
    const ids = (await reapAbandoned(store, self, (pid) => alive.has(pid), NOW)).map((r) => r.id);
    const statuses = Object.fromEntries(await Promise.all(runs.map(async (r) => [r.id, (await store.getRun(r.id))!.status] as const)));
    return { ids, statuses };
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
});
