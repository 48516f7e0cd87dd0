/**
 * The deploy command: what follows `--`, run as argv (no shell) in its own process group, its
 * output shown to the user. Signals received by seqpulse are passed to the whole group; a command
 * that ignores them is killed after a grace period, and a second Ctrl-C kills it at once. Should
 * seqpulse die without a word while the command runs (kill -9), a keeper does the same (startKeeper).
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { forwardLines, type Pace } from './lines.js';
import { groupAlive, signalGroup } from './process-group.js';
import type { Interrupts } from './signals.js';
import { steadyNow } from '../sampling/clock.js';

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
  /**
   * Set when the logs are JSON lines: the command's stdout and stderr are read line by line and
   * given here (to be logged as events), so nothing raw lands between the log objects. `stdout` is
   * then not used.
   */
  lines?: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Where `lines` writes them in the end: the command's output is read no faster than it takes them. */
  linesSink?: Writable;
  interrupts: Interrupts;
  /** Time a signalled command gets to exit before the group is killed. */
  graceMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export const DEFAULT_GRACE_MS = 10_000;

/** How often a signalled group whose leader exited is looked at, to end as soon as the rest of it is gone. */
const GROUP_POLL_MS = 50;

/**
 * With `lines`, how long the command's last output may take to be read after it exited. The pipes
 * close when the last process holding them does: a server the command left running keeps them open,
 * and is not waited for (its later lines are still logged while seqpulse runs).
 */
const OUTPUT_DRAIN_MS = 500;

/**
 * Runs the command and resolves when it is done. After a signal has been passed on, "done" means
 * the whole group is gone: a member that outlives the command (a grandchild that ignores SIGTERM)
 * is killed with the rest of the group when the grace period ends, even though the command
 * itself has exited. Without a signal, the command's exit is the end: what it left running on
 * purpose (a server it started) is not touched.
 */
export function runDeploy(argv: readonly string[], opts: DeployOptions): Promise<DeployOutcome> {
  const started = steadyNow();
  const [command, ...args] = argv;
  return new Promise((resolve) => {
    if (!command) return resolve({ exitCode: 127, signal: null, spawnError: 'no command given', durationMs: 0 });
    const lines = opts.lines;
    // The keeper first: from the deploy's spawn to the keeper's knowing its group, a kill -9 would leave the deploy unguarded.
    const keeper = startKeeper(opts.graceMs ?? DEFAULT_GRACE_MS);
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, args, {
        // stdin is only shared when it is not a terminal: a background process group reading the TTY would be stopped (SIGTTIN).
        stdio: [process.stdin.isTTY ? 'ignore' : 'inherit', lines ? 'pipe' : opts.stdout === 'stderr' ? process.stderr : 'inherit', lines ? 'pipe' : 'inherit'],
        detached: true,
        env: opts.env ?? process.env,
        cwd: opts.cwd,
      });
    } catch (err) {
      // Arguments spawn refuses outright (a NUL byte): there is no deploy to guard.
      keeper?.release();
      throw err;
    }
    // In the same tick as the spawn: a write to a pipe with room goes out at once.
    if (child.pid === undefined) keeper?.release();
    else keeper?.guard(child.pid);
    const pace: Pace | undefined = opts.linesSink && { sink: opts.linesSink, on: true };
    const output = lines && Promise.all([forwardLines(child.stdout!, (line) => lines('stdout', line), pace), forwardLines(child.stderr!, (line) => lines('stderr', line), pace)]);
    let killTimer: NodeJS.Timeout | undefined;
    let poll: NodeJS.Timeout | undefined;
    let exited: Omit<DeployOutcome, 'durationMs'> | undefined;
    let killed = false;
    let settled = false;
    const finish = (outcome: Omit<DeployOutcome, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      keeper?.release();
      unsubscribe();
      clearTimeout(killTimer);
      clearInterval(poll);
      const ended = { ...outcome, durationMs: steadyNow() - started };
      if (!output) return resolve(ended);
      // What is left in the pipes is read at once: at the sink's pace, the drain's end would cut it
      // off. It is bounded: a pipe's capacity, and what a process left running writes meanwhile.
      if (pace) {
        pace.on = false;
        for (const pipe of [child.stdout, child.stderr]) pipe?.resume();
      }
      const drained = new Promise<void>((done) => setTimeout(done, OUTPUT_DRAIN_MS).unref());
      void Promise.race([output, drained]).then(() => {
        // A process the command left running writes at the sink's pace again.
        if (pace) pace.on = true;
        // Pipes a lingering process still holds must not keep seqpulse running once its work is done.
        for (const pipe of [child.stdout, child.stderr]) unref(pipe);
        resolve(ended);
      });
    };
    const killGroup = () => {
      killed = true;
      signalGroup(child.pid, 'SIGKILL');
      if (exited) finish(exited);
    };
    const unsubscribe = opts.interrupts.onSignal((sig, count) => {
      if (count > 1) return killGroup();
      signalGroup(child.pid, sig);
      // A stopped member (SIGSTOP, a debugger) would only see the signal once continued, at the
      // SIGKILL that ends the grace period: continued now, it can act on it (as `kill` does for a
      // stopped job, and systemd after its SIGTERM).
      signalGroup(child.pid, 'SIGCONT');
      killTimer ??= setTimeout(killGroup, opts.graceMs ?? DEFAULT_GRACE_MS);
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'ENOENT' ? `command not found: ${command}` : err.code === 'EACCES' ? `not executable: ${command}` : err.message;
      finish({ exitCode: 127, signal: null, spawnError: reason });
    });
    child.once('exit', (code, signal) => {
      exited = { exitCode: code, signal };
      // Killed members may linger as zombies until their new parent reaps them: nothing of them runs.
      if (killTimer === undefined || killed || !groupAlive(child.pid)) return finish(exited);
      // Signalled, and part of the group is still running: it has until the grace period ends.
      poll = setInterval(() => {
        if (!groupAlive(child.pid)) finish(exited!);
      }, GROUP_POLL_MS);
    });
  });
}

function unref(pipe: Readable | Writable | null): void {
  (pipe as ((Readable | Writable) & { unref?: () => void }) | null)?.unref?.();
}

/**
 * The group's keeper should seqpulse die without a word (kill -9, the OOM killer): a shell that
 * waits on a pipe only seqpulse writes to. It is started before the deploy and told the deploy's
 * group (`guard`) right after its spawn. The kernel closes the pipe when seqpulse goes, however it
 * goes; at that end of file the shell passes SIGTERM to the group, and SIGKILL after the grace
 * period, as seqpulse itself would have; not when the command had already ended (what it left
 * running on purpose stays, as ever). `release` (the deploy ended, or never started) tells it to
 * leave the group alone and exit. It ignores the terminal's signals (Ctrl-C is seqpulse's to pass
 * on) and has a session of its own: it must outlive a seqpulse killed with its whole process group.
 * Without /bin/sh (Windows) the spawn fails quietly and the deploy runs without a keeper, as before.
 */
function startKeeper(graceMs: number): { guard(group: number): void; release(): void } | undefined {
  const seconds = Math.max(0.1, graceMs / 1000).toFixed(1);
  // dash's kill takes a group as -PGID after the signal (not after --).
  const script = `trap '' INT TERM HUP QUIT; IFS= read -r group || exit 0; case "$group" in ''|*[!0-9]*) exit 0;; esac; IFS= read -r line; [ "$line" = done ] && exit 0; kill -0 "$group" 2>/dev/null || exit 0; kill -TERM -"$group" 2>/dev/null; kill -CONT -"$group" 2>/dev/null; sleep ${seconds}; kill -KILL -"$group" 2>/dev/null; exit 0`;
  try {
    const keeper = spawn('/bin/sh', ['-c', script], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    keeper.on('error', () => undefined);
    keeper.stdin!.on('error', () => undefined);
    // Never what keeps seqpulse running.
    keeper.unref();
    unref(keeper.stdin);
    const say = (text: string, end: boolean) => {
      if (keeper.stdin!.destroyed || keeper.stdin!.writableEnded) return;
      if (end) keeper.stdin!.end(text);
      else keeper.stdin!.write(text);
    };
    return { guard: (group) => say(`${group}\n`, false), release: () => say('done\n', true) };
  } catch {
    return undefined;
  }
}
