/**
 * The CLI entry: parses, runs one command, maps errors to exit codes (SPEC §7). The only place
 * that ends the process.
 */
import { CommanderError } from 'commander';
import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { ExitCode, UsageError } from '../errors.js';
import { forTerminal } from '../output/terminal.js';
import { errorFormatIsJson, logFormatFromArgs, logNodeWarnings, printError, setErrorFormat } from './print.js';
import { buildProgram } from './program.js';
import { inertToRunnerLog } from './runner-log.js';

export async function main(argv: string[]): Promise<void> {
  const terminals = [0, 1, 2].filter((fd) => isatty(fd));
  outliveClosedPipes(process.stdout, process.stderr);
  inertToRunnerLog(process.env, process.stdout, process.stderr);
  logNodeWarnings();
  const code = await runCli(argv);
  // process.exit drops what a pipe has not taken yet: the verdict JSON on stdout, and a long error on
  // stderr (cut at the pipe's 64 KiB when its reader is slower than us), must reach it in full first.
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve()))));
  letGoOfHungUpTerminals(terminals);
  // Exiting here (not when the event loop drains) so a dangling socket can never hold the deploy pipeline.
  process.exit(code);
}

/**
 * Node puts back each terminal's settings as it exits, and aborts when it cannot (exit 134,
 * "Assertion failed": tcsetattr fails with EIO on a terminal that hung up): a run whose SSH session
 * or window closed, stored and reported as interrupted (129), ended as a crash. A descriptor that was
 * a terminal and no longer answers as one (a hung-up terminal does not) is closed first: Node leaves
 * a closed one alone, and nobody is there to read it.
 */
function letGoOfHungUpTerminals(terminals: number[]): void {
  for (const fd of terminals) {
    if (isatty(fd)) continue;
    try {
      closeSync(fd);
    } catch {
      // Closed already: Node leaves it alone too.
    }
  }
}

/**
 * A reader that stops early (`seqpulse history | head -1`) closes our stdout or stderr: the next
 * write fails with EPIPE, an 'error' event that would otherwise crash the process with a stack
 * trace and exit 1 (which reads as "rollback" in the exit-code table). Writing to that stream stops
 * (Node destroys it; later writes are dropped), and the command goes on to its own end and its own
 * exit code: a run keeps its deploy and its verdict; only what nobody reads is lost.
 */
function outliveClosedPipes(...streams: NodeJS.WriteStream[]): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // EIO: a terminal that hung up (its SSH session or window closed); the SIGHUP is handled as an interrupt.
      if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
    });
  }
}

export async function runCli(argv: string[]): Promise<number> {
  let code: number = ExitCode.Ok;
  setErrorFormat(logFormatFromArgs(argv, process.env));
  const program = buildProgram((c) => (code = c), argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    const wantsJson = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length).includes('--json');
    if (err instanceof CommanderError) {
      // Help and --version end with 0; commander has already printed its own error message otherwise
      // (on stderr): with --json, stdout still gets the one JSON object, an error like any other.
      if (err.exitCode === 0) return ExitCode.Ok;
      // With JSON logs commander printed nothing (program.ts): the error is one JSON line on stderr.
      const usage = new UsageError(err.message.replace(/^error: /, ''), 'run with --help for usage');
      if (errorFormatIsJson()) return printError(wantsJson ? jsonConsole() : undefined, usage);
      return wantsJson ? printError(jsonConsole(), usage, () => undefined) : ExitCode.Usage;
    }
    return printError(wantsJson ? jsonConsole() : undefined, err);
  }
}

function jsonConsole() {
  // Like every write (output/terminal.ts): a bidi override or C1 control quoted from an argument leaves as a \u escape, still valid JSON.
  return { json: true, stdout: (text: string) => void process.stdout.write(forTerminal(`${text}\n`, false)) };
}
