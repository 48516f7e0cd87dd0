/** Whether a process is gone, for tests that check nothing is left behind. */
import { readFileSync } from 'node:fs';

/**
 * True when `pid` no longer runs: it does not exist, or it is a zombie (dead, waiting for its new
 * parent to collect its exit status; nothing of it runs any more).
 */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    // The state is the field after the command name, which is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
