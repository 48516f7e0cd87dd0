import { readdirSync } from 'node:fs';
import { procStat } from './proc-stat.js';

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
    if (procStat('self')?.pid !== process.pid) return undefined;
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const name of entries) {
    if (!/^[0-9]+$/.test(name)) continue;
    const fields = procStat(Number(name))?.fields;
    if (fields && Number(fields[PGRP]) === group && !DEAD.has(fields[STATE]!)) return true;
  }
  return false;
}

/** Zombie, dead. */
const DEAD = new Set(['Z', 'X', 'x']);
/** procStat's fields: the state, the process group. */
const STATE = 0;
const PGRP = 2;
