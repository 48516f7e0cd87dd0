/**
 * Runs nobody will ever give a verdict to, settled as `abandoned` so history is honest and
 * `finish`, `verdict` and `report` can say what happened:
 * - a run whose process died (kill -9, a crashed runner, a power cut) while it was on its way to a
 *   verdict: found by every command that opens the store, for runs of this host, whose process can
 *   be checked from here (runs of other hosts are left to the next rule);
 * - a run still on its way to a verdict with no news of it for QUIET_MS past the end its own
 *   settings planned for it: settled by any command, whoever owned it. That is how a shared store
 *   sheds the runs announced there by runners that are gone (an ephemeral CI runner whose final
 *   push failed leaves its run `started` there), and how a `start` that nobody finished ends. A run
 *   still within its planned window never qualifies, whatever its age;
 * - a run left with a final status but no verdict. seqpulse writes the two in one transaction, but
 *   older versions wrote the status first and the verdict after a query to the shared store, and a
 *   process cut off in between left the run "finished, no verdict" for good. Such a run is settled
 *   at once when its process is known to be gone, and by any command once it has been in that
 *   state for LEFT_BEHIND_MS whoever owned it (no version takes that long between the two writes).
 * Settled by age, a run keeps its `updated_at` (abandonRun's `unchangedSince`): it is a guess made
 * without its owner, and a copy its owner pushes later, concluded after all, still replaces it.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { CONCLUDED_STATUSES, OPEN_STATUSES, type OpenStatus, type RunRecord, type Store } from '../store/types.js';
import { procStat } from '../runner/proc-stat.js';

/** Older runs were settled long ago, or are not worth a look at every command. */
const LOOK_BACK_MS = 7 * 86_400_000;
/** How long a run may sit with a final status and no verdict before any command settles it. */
export const LEFT_BEHIND_MS = 15 * 60_000;
/**
 * How long a run on its way to a verdict may go without news past its planned end (PRE at twice
 * its planned time, the window and one request's timeout, from the deploy when the store knows it,
 * else from the start) before any command settles it. The deploy itself has no deadline; a day is
 * far more than any deploy or any wait between `start` and `finish` should take.
 */
export const QUIET_MS = 24 * 3_600_000;

export interface Owner {
  host: string;
  pid: number;
  /**
   * When the process started, as the host's kernel counts it (Linux: the boot's id and the start
   * tick), absent where that cannot be read. A PID is reused: a container starts its processes with
   * the same PIDs each time, under the same hostname, and a dead run's PID can belong to a live
   * process, even to the command looking at it.
   */
  since?: string;
}

/** Whether a process is alive, by whatever the owner recorded: `ownerAlive` on this host. */
export type IsAlive = (owner: Owner) => boolean;

/** A run just settled as abandoned, as it was (its status then), and why. */
export interface Reaped {
  run: RunRecord;
  why: 'owner gone' | 'quiet';
}

/**
 * Marks the abandoned runs abandoned; returns them as they were, with why.
 * Without `self` (a store this command only pushes to), only the rules that do not depend on whose process is alive here apply.
 */
export async function reapAbandoned(store: Store, self: Owner | undefined, isAlive: IsAlive, now: number): Promise<Reaped[]> {
  const reaped: Reaped[] = [];
  for (const { run, why } of await abandonedRuns(store, self, isAlive, now)) {
    // Conditional: a run that concluded (or, settled by age, changed at all) since it was read is left as it is.
    if (await store.abandonRun(run.id, run.status, new Date(now).toISOString(), why === 'quiet' ? run.updated_at : undefined)) reaped.push({ run, why });
  }
  return reaped;
}

/** The runs reapAbandoned would settle, and why; reads only. */
export async function abandonedRuns(store: Store, self: Owner | undefined, isAlive: IsAlive, now: number): Promise<Reaped[]> {
  const found: Reaped[] = [];
  for (const run of await store.unsettledRuns(new Date(now - LOOK_BACK_MS).toISOString())) {
    const why = abandoned(run, self, isAlive, now);
    if (why) found.push({ run, why });
  }
  return found;
}

function abandoned(run: RunRecord, self: Owner | undefined, isAlive: IsAlive, now: number): 'owner gone' | 'quiet' | undefined {
  const owner = run.settings.owner;
  if (self && owner !== undefined && owner.host === self.host && !sameProcess(owner, self) && !isAlive(owner)) return 'owner gone';
  if ((CONCLUDED_STATUSES as readonly string[]).includes(run.status)) {
    return Date.parse(run.finished_at ?? run.updated_at) <= now - LEFT_BEHIND_MS ? 'quiet' : undefined;
  }
  return Math.max(plannedEnd(run), Date.parse(run.updated_at)) <= now - QUIET_MS ? 'quiet' : undefined;
}

/** When the run would have ended had everything gone to plan (the deploy taking no time). */
export function plannedEnd(run: RunRecord): number {
  const s = run.settings;
  const ms = (value: number | undefined) => (Number.isFinite(value) && value! > 0 ? value! : 0);
  const post = ms(s.window_ms) + ms(s.timeout_ms);
  if (run.deployed_at) return Date.parse(run.deployed_at) + post;
  // A lost PRE sample is replaced: PRE takes at most twice its planned time, and an extra tick may
  // wait out a tick under way before it asks (phase.ts): two request timeouts more.
  return Date.parse(run.created_at) + 2 * ms(s.pre_samples) * ms(s.interval_ms) + 2 * ms(s.timeout_ms) + post;
}

/** What happened to a run just marked abandoned, said once. */
export function abandonedMessage({ run, why }: Reaped): string {
  const kept = `Marked abandoned; the samples it took are kept (\`seqpulse show ${run.id}\`).`;
  if (why === 'quiet' && OPEN_STATUSES.includes(run.status as OpenStatus)) {
    return `Run ${run.id} (${run.project}/${run.env}) was abandoned: still ${run.status}, with no news of it for ${QUIET_MS / 3_600_000} hours past its planned end (its runner is gone, or a start was never finished). ${kept}`;
  }
  if (OPEN_STATUSES.includes(run.status as OpenStatus)) {
    return `Run ${run.id} (${run.project}/${run.env}) was abandoned: its process ${run.settings.owner?.pid} is gone (killed or crashed) while ${run.status}. ${kept}`;
  }
  return `Run ${run.id} (${run.project}/${run.env}) was left ${run.status} without a verdict by an older seqpulse (cut off between writing its status and its verdict): nothing will judge it now. ${kept}`;
}

/** Two records of one process: the same PID, started at the same time where both know when. */
function sameProcess(a: Owner, b: Owner): boolean {
  return a.pid === b.pid && (a.since === undefined || b.since === undefined || a.since === b.since);
}

let me: Owner | undefined;
/** This process, as a run records its owner. */
export function thisProcess(): Owner {
  me ??= { host: hostname(), pid: process.pid, ...since(process.pid) };
  return me;
}

/** Whether the process a run recorded as its owner is still the one running under its PID here. */
export function ownerAlive(owner: Owner): boolean {
  if (!processAlive(owner.pid)) return false;
  if (typeof owner.since !== 'string') return true;
  const now = since(owner.pid).since;
  // Unreadable now (a /proc hidden from us): the PID is all there is to go by.
  return now === undefined || now === owner.since;
}

let bootId: string | undefined;
/** A process's start, `{}` where the OS does not say (no /proc: macOS, Windows). */
function since(pid: number): { since?: string } {
  try {
    // The boot: a start tick counts from it, and PIDs start over with it.
    bootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    // Field 22, the start tick.
    const start = procStat(pid)?.fields[19];
    return bootId && start && /^\d+$/.test(start) ? { since: `${bootId}/${start}` } : {};
  } catch {
    return {};
  }
}

/** Whether a process exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  // A PID read from a store: 0 or a negative number would ask about a process group, anything else is no process.
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
