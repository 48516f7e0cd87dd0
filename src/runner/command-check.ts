/**
 * The deploy command, checked before anything runs: its executable exists and can be run (a path
 * relative to the working directory, or a name found on PATH), so a typo costs a second, not a PRE
 * phase. A command that did not start after PRE sampling would leave a stored run and no deploy.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import which from 'which';
import { UsageError } from '../errors.js';

/** Characters a shell would have interpreted: pipes, lists, redirections, variables, substitutions, globs. */
const SHELL_SYNTAX = /&&|\|\||[|;<>$`*?]|\s/;

export interface CommandCheck {
  /** The command runs through the shell (`--shell`): argv is the shell and its `-c` line. */
  shell: boolean;
  /** How to ask for a shell where this command was given (`--shell`, or `shell: true` in the Action). */
  shellHint: string;
  cwd?: string;
  /** PATH to search (default: this process's). */
  path?: string;
}

/** Words a shell runs itself: a line starting with one of them has no executable to look for. */
const SHELL_WORDS = new Set(['.', ':', '[', 'alias', 'break', 'case', 'cd', 'command', 'continue', 'echo', 'eval', 'exec', 'exit', 'export', 'false', 'for', 'if', 'printf', 'read', 'readonly', 'return', 'set', 'shift', 'source', 'test', 'time', 'trap', 'true', 'ulimit', 'umask', 'unset', 'until', 'wait', 'while']);

/** Throws a UsageError (exit 2) naming the executable when it cannot be run. */
export async function checkDeployCommand(argv: readonly string[], opts: CommandCheck): Promise<void> {
  const [shellOrCommand] = argv;
  if (!shellOrCommand) throw new UsageError('no deploy command given', 'Put the deploy command after `--`, e.g. `seqpulse run -- kubectl apply -f k8s/`.');
  const shellProblem = opts.shell ? await whyNotRunnable(shellOrCommand, opts) : undefined;
  if (shellProblem) throw new UsageError(`the shell ${JSON.stringify(shellOrCommand)} ${shellProblem.what}; nothing was sampled or deployed`, 'Run the command without a shell (its words after --), or install a POSIX shell.');
  // Through a shell, the line's first word is checked when it is a plain program name or path (not a builtin, an assignment or syntax).
  const first = opts.shell ? (argv[argv.length - 1] ?? '').trim().split(/\s+/)[0]! : shellOrCommand;
  if (opts.shell && (!/^[\w./+-]+$/.test(first) || SHELL_WORDS.has(first))) return;
  const command = first;
  const problem = await whyNotRunnable(command, opts);
  if (!problem) return;
  // Through a shell, the shell itself is what is missing: nothing about the line can be said.
  const looksLikeShell = !opts.shell && argv.some((word) => SHELL_SYNTAX.test(word));
  const hint = looksLikeShell
    ? `It looks like shell syntax (${shellSyntaxIn(argv)}), which is not interpreted without a shell: ${opts.shellHint}, or put the steps in a script and give its path.`
    : command.includes('/')
      ? problem.fix
      : `Check the spelling, install it, or give its path (e.g. ./${command}); PATH is searched for names without a /.`;
  throw new UsageError(`deploy command ${JSON.stringify(command)} ${problem.what}; nothing was sampled or deployed`, hint);
}

async function whyNotRunnable(command: string, opts: CommandCheck): Promise<{ what: string; fix: string } | undefined> {
  if (!command.includes('/') && !(process.platform === 'win32' && command.includes('\\'))) {
    const found = await which(command, { nothrow: true, ...(opts.path === undefined ? {} : { path: opts.path }) });
    return found ? undefined : { what: 'was not found on PATH', fix: '' };
  }
  const path = resolve(opts.cwd ?? process.cwd(), command);
  let info;
  try {
    info = await stat(path);
  } catch {
    return { what: 'does not exist', fix: `Check the path (relative paths start from ${opts.cwd ?? process.cwd()}).` };
  }
  if (info.isDirectory()) return { what: 'is a directory', fix: 'Give the script or program inside it.' };
  if (process.platform === 'win32') return undefined;
  try {
    await access(path, constants.X_OK);
    return undefined;
  } catch {
    return { what: 'is not executable', fix: `Make it executable (chmod +x ${command}), or run it through its interpreter (e.g. sh ${command}).` };
  }
}

function shellSyntaxIn(argv: readonly string[]): string {
  for (const token of ['&&', '||', '|', ';', '>', '<', '$', '`', '*', '?']) if (argv.some((w) => w.includes(token))) return `\`${token}\``;
  return 'several words in one argument';
}
