import { readdirSync, readFileSync } from 'node:fs';

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

/**
 * Whether any process of the group led by `pid` is left and running. A member that died stays a
 * zombie until its parent reaps it, and kill(2) still finds it: an orphan's new parent may take
 * its time (a container whose PID 1 does not reap, seqpulse itself as PID 1), and a SIGTERM to a
 * `sh -c '...; sleep 30'` deploy waited the whole kill grace for a `sleep` that had died at once.
 * Zombies are told apart where /proc shows them (Linux); elsewhere a zombie counts as alive.
 */
export function groupAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, 0);
  } catch (err) {
    // EPERM: a member exists that is not ours to signal (it changed user): still there.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return runningMember(pid) ?? true;
}

/** Whether /proc shows a member of group `group` that is not a zombie; undefined when /proc cannot tell (none, or another PID namespace's). */
function runningMember(group: number): boolean | undefined {
  let entries: string[];
  try {
    // Another PID namespace's /proc (a container that did not mount its own) numbers other processes.
    if (processStat('self')?.pid !== process.pid) return undefined;
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const name of entries) {
    if (!/^[0-9]+$/.test(name)) continue;
    const stat = processStat(name);
    if (stat?.group === group && !DEAD.has(stat.state)) return true;
  }
  return false;
}

/** Zombie, dead. */
const DEAD = new Set(['Z', 'X', 'x']);

/** A process's pid, state and group from /proc/<pid>/stat; undefined once it is gone. */
function processStat(pid: string): { pid: number; state: string; group: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // After the command name, which may hold spaces and parentheses: state, parent, group, ...
  const [state = '', , group] = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid: Number(text.slice(0, text.indexOf(' '))), state, group: Number(group) };
}
