/**
 * Runs whose process died (kill -9, a crashed runner, a power cut) stay "observing" forever unless
 * someone notices. Every command that opens the store looks for runs of this host whose process is
 * gone and marks them `abandoned`, saying so, so history is honest and `finish` can explain.
 * Runs of other hosts are left alone: their processes cannot be checked from here.
 */
import type { RunRecord, Store } from '../store/types.js';

/** Older runs were settled long ago, or are not worth a look at every command. */
const LOOK_BACK_MS = 7 * 86_400_000;

export interface Owner {
  host: string;
  pid: number;
}

/** Marks the dead runs of `self.host` abandoned; returns them. */
export async function reapAbandoned(store: Store, self: Owner, isAlive: (pid: number) => boolean, now: number): Promise<RunRecord[]> {
  const active = await store.activeRuns(new Date(now - LOOK_BACK_MS).toISOString());
  const dead = active.filter((run) => {
    const owner = run.settings.owner;
    // A `start` run waits for `finish` with no process behind it: that is not abandonment.
    if (!owner || (run.status === 'started' && run.command === null)) return false;
    return owner.host === self.host && owner.pid !== self.pid && !isAlive(owner.pid);
  });
  for (const run of dead) await store.updateRun(run.id, { status: 'abandoned', finished_at: new Date(now).toISOString() });
  return dead;
}

/** Whether a process exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
