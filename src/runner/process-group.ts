/**
 * Process groups: every command seqpulse starts (the deploy, the `command` source) leads a group of
 * its own (spawned `detached`), so what it starts in turn can be signalled and killed with it.
 * A process that leaves the group (setsid, a daemon that double-forks into a new session) escapes;
 * see docs/reliability.md for what can and cannot be done about that.
 */

/** Sends `sig` to the whole group led by `pid`; false when no process of it is left (or groups are not supported: Windows). */
export function signalGroup(pid: number | undefined, sig: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process of the group led by `pid` is left (zombies not yet reaped by their new parent count too). */
export function groupAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    // EPERM: a member exists that is not ours to signal (it changed user): still there.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
