/**
 * Runs nobody will ever give a verdict to, settled as `abandoned` so history is honest and
 * `finish`, `verdict` and `report` can say what happened:
 * - a run whose process died (kill -9, a crashed runner, a power cut) while it was on its way to a
 *   verdict: found by every command that opens the store, for runs of this host, whose process can
 *   be checked from here (runs of other hosts are left alone);
 * - a run left with a final status but no verdict. seqpulse writes the two in one transaction, but
 *   older versions wrote the status first and the verdict after a query to the shared store, and a
 *   process cut off in between left the run "finished, no verdict" for good. Such a run is settled
 *   at once when its process is known to be gone, and by any command once it has been in that
 *   state for LEFT_BEHIND_MS whoever owned it (no version takes that long between the two writes).
 */
import { CONCLUDED_STATUSES, type RunRecord, type Store } from '../store/types.js';

/** Older runs were settled long ago, or are not worth a look at every command. */
const LOOK_BACK_MS = 7 * 86_400_000;
/** How long a run may sit with a final status and no verdict before any command settles it. */
export const LEFT_BEHIND_MS = 15 * 60_000;

export interface Owner {
  host: string;
  pid: number;
}

/** Marks the abandoned runs abandoned; returns them as they were (their status then says why). */
export async function reapAbandoned(store: Store, self: Owner, isAlive: (pid: number) => boolean, now: number): Promise<RunRecord[]> {
  const reaped: RunRecord[] = [];
  for (const run of await store.unsettledRuns(new Date(now - LOOK_BACK_MS).toISOString())) {
    if (!abandoned(run, self, isAlive, now)) continue;
    // Conditional: a run that concluded since it was read is left as it is.
    if (await store.abandonRun(run.id, run.status, new Date(now).toISOString())) reaped.push(run);
  }
  return reaped;
}

function abandoned(run: RunRecord, self: Owner, isAlive: (pid: number) => boolean, now: number): boolean {
  const owner = run.settings.owner;
  const ownerGone = owner !== undefined && owner.host === self.host && owner.pid !== self.pid && !isAlive(owner.pid);
  if ((CONCLUDED_STATUSES as readonly string[]).includes(run.status)) {
    return ownerGone || Date.parse(run.finished_at ?? run.updated_at) <= now - LEFT_BEHIND_MS;
  }
  // A `start` run waits for `finish` with no process behind it: that is not abandonment.
  if (run.status === 'started' && run.command === null) return false;
  return ownerGone;
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
