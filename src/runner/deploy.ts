/**
 * The deploy command: what follows `--`, run as argv (no shell) in its own process group, its
 * output shown to the user. Signals received by seqpulse are passed to the whole group; a command
 * that ignores them is killed after a grace period, and a second Ctrl-C kills it at once.
 */
import { spawn } from 'node:child_process';
import type { Interrupts } from './signals.js';

export interface DeployOutcome {
  /** The command's exit code; 127 when it could not be started. */
  exitCode: number | null;
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  /** Why it could not start (command not found, not executable). */
  spawnError?: string;
  durationMs: number;
}

export interface DeployOptions {
  /** Where the command's stdout goes: the user's stdout, or stderr when stdout carries JSON. */
  stdout: 'inherit' | 'stderr';
  interrupts: Interrupts;
  /** Time a signalled command gets to exit before the group is killed. */
  graceMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export const DEFAULT_GRACE_MS = 10_000;

export function runDeploy(argv: readonly string[], opts: DeployOptions): Promise<DeployOutcome> {
  const started = Date.now();
  const [command, ...args] = argv;
  return new Promise((resolve) => {
    if (!command) return resolve({ exitCode: 127, signal: null, spawnError: 'no command given', durationMs: 0 });
    const child = spawn(command, args, {
      // stdin is only shared when it is not a terminal: a background process group reading the TTY would be stopped (SIGTTIN).
      stdio: [process.stdin.isTTY ? 'ignore' : 'inherit', opts.stdout === 'stderr' ? process.stderr : 'inherit', 'inherit'],
      detached: true,
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    let killTimer: NodeJS.Timeout | undefined;
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        // The group is already gone.
      }
    };
    const unsubscribe = opts.interrupts.onSignal((sig, count) => {
      if (count > 1) return signalGroup('SIGKILL');
      signalGroup(sig);
      killTimer = setTimeout(() => signalGroup('SIGKILL'), opts.graceMs ?? DEFAULT_GRACE_MS);
    });
    const finish = (outcome: Omit<DeployOutcome, 'durationMs'>) => {
      unsubscribe();
      clearTimeout(killTimer);
      resolve({ ...outcome, durationMs: Date.now() - started });
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'ENOENT' ? `command not found: ${command}` : err.code === 'EACCES' ? `not executable: ${command}` : err.message;
      finish({ exitCode: 127, signal: null, spawnError: reason });
    });
    child.once('exit', (code, signal) => finish({ exitCode: code, signal }));
  });
}
