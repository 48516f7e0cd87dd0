/**
 * The deploy command, checked before anything runs: its executable exists and can be run (a path
 * relative to the working directory, or a name found on PATH), and a script's interpreter (its
 * `#!` line) too, so a typo costs a second, not a PRE phase. A command that did not start after
 * PRE sampling would leave a stored run and no deploy.
 */
import { constants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
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
  const hint =
    looksLikeShell && !problem.interpreter
      ? `It looks like shell syntax (${shellSyntaxIn(argv)}), which is not interpreted without a shell: ${opts.shellHint}, or put the steps in a script and give its path.`
      : problem.fix;
  throw new UsageError(`deploy command ${JSON.stringify(command)} ${problem.what}; nothing was sampled or deployed`, hint);
}

interface Problem {
  what: string;
  fix: string;
  /** The command is there; what its `#!` line asks for is not. */
  interpreter?: boolean;
}

async function whyNotRunnable(command: string, opts: CommandCheck): Promise<Problem | undefined> {
  if (!command.includes('/') && !(process.platform === 'win32' && command.includes('\\'))) {
    const found = await onPath(command, opts);
    if (!found) return { what: 'was not found on PATH', fix: `Check the spelling, install it, or give its path (e.g. ./${command}); PATH is searched for names without a /.` };
    return process.platform === 'win32' ? undefined : whyNoInterpreter(found, command, opts);
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
  } catch {
    return { what: 'is not executable', fix: `Make it executable (chmod +x ${command}), or run it through its interpreter (e.g. sh ${command}).` };
  }
  return whyNoInterpreter(path, command, opts);
}

function onPath(command: string, opts: CommandCheck): Promise<string | null> {
  return which(command, { nothrow: true, ...(opts.path === undefined ? {} : { path: opts.path }) });
}

/** The kernel reads at most this much of a script for its `#!` line (BINPRM_BUF_SIZE). */
const SHEBANG_BYTES = 256;

/**
 * A script's `#!` line names its interpreter: the kernel refuses to start a script whose
 * interpreter is missing (or, with `/usr/bin/env X`, whose X is not on PATH), and the spawn error
 * names the script, not what is missing. A line saved with Windows line endings asks for
 * "bash\r", which exists nowhere.
 */
async function whyNoInterpreter(path: string, command: string, opts: CommandCheck): Promise<Problem | undefined> {
  const line = await shebangOf(path);
  if (line === undefined) return undefined;
  if (line.endsWith('\r')) {
    return {
      what: `has Windows line endings (CRLF): its #! line ${JSON.stringify(`#!${line}`)} ends in a carriage return, which the system takes as part of the interpreter's name`,
      fix: `Convert it to Unix line endings (e.g. sed -i 's/\\r$//' ${command}, or dos2unix ${command}).`,
      interpreter: true,
    };
  }
  const [interpreter = '', ...args] = line.trim().split(/[ \t]+/);
  const fix = `Install it, or change the first line of ${command} to an interpreter that exists (e.g. #!/bin/sh).`;
  if (!interpreter) return { what: 'has an empty #! line (no interpreter)', fix, interpreter: true };
  // A relative interpreter is found from the working directory the deploy runs in, as the kernel does.
  const interpreterPath = resolve(opts.cwd ?? process.cwd(), interpreter);
  const missing = await whyNotExecutable(interpreterPath);
  if (missing) return { what: `needs the interpreter ${JSON.stringify(interpreter)} (its #! line), which ${missing}`, fix, interpreter: true };
  if (basename(interpreter) !== 'env') return undefined;
  const program = envProgram(args);
  if (program === undefined || program.includes('/') || (await onPath(program, opts))) return undefined;
  return { what: `needs ${JSON.stringify(program)} (its #! line runs ${interpreter} ${program}), which was not found on PATH`, fix: `Install ${program} or put it on PATH, or change the first line of ${command} (e.g. #!/bin/sh).`, interpreter: true };
}

async function whyNotExecutable(path: string): Promise<string | undefined> {
  try {
    if ((await stat(path)).isDirectory()) return 'is a directory';
  } catch {
    return 'does not exist';
  }
  try {
    await access(path, constants.X_OK);
    return undefined;
  } catch {
    return 'is not executable';
  }
}

/** The `#!` line without its newline, or undefined when the file does not start with one (a binary) or cannot be read. */
async function shebangOf(path: string): Promise<string | undefined> {
  let head: Buffer;
  try {
    const file = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(SHEBANG_BYTES);
      const { bytesRead } = await file.read(buffer, 0, SHEBANG_BYTES, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch {
    return undefined;
  }
  if (head[0] !== 0x23 || head[1] !== 0x21) return undefined;
  const end = head.indexOf(0x0a);
  return head.subarray(2, end === -1 ? head.length : end).toString('latin1');
}

/** The program `env` runs: its first word that is not an option (`-S`, `-i`) or an assignment (`A=1`). */
function envProgram(args: string[]): string | undefined {
  return args.find((word) => !word.startsWith('-') && !/^\w+=/.test(word));
}

function shellSyntaxIn(argv: readonly string[]): string {
  for (const token of ['&&', '||', '|', ';', '>', '<', '$', '`', '*', '?']) if (argv.some((w) => w.includes(token))) return `\`${token}\``;
  return 'several words in one argument';
}
