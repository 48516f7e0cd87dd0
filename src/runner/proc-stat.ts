import { readFileSync } from 'node:fs';

/**
 * /proc/<pid>/stat (Linux): the process's own pid, and the fields after its command name, in
 * proc(5)'s order from field 3 (`fields[0]` the state, `[2]` the process group, `[19]` the start
 * tick). Undefined without /proc (macOS, Windows) or once the process is gone.
 */
export function procStat(pid: number | 'self'): { pid: number; fields: string[] } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces and parentheses: count from the last ')'.
  return { pid: Number(text.slice(0, text.indexOf(' '))), fields: text.slice(text.lastIndexOf(')') + 2).split(' ') };
}
