/**
 * Runs the built CLI (`bin/seqpulse.js`, as users run it) as a real child process, and gives the
 * deploy command a way to call back into the test ("the deploy happened now").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

export const BIN = fileURLToPath(new URL('../../bin/seqpulse.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  /** Output so far (grows while the process runs). */
  output: { stdout: string; stderr: string };
  done: Promise<CliResult>;
}

/** A fresh working directory (the default store lands in it). */
export function tempDir(prefix = 'seqpulse-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** Runs the CLI through this command, e.g. `['sh', '-c', 'ulimit -f 64 && exec "$0" "$@"']`: it gets node, the CLI and its arguments appended. */
  prefix?: string[];
  /** Runs the CLI as this user (tests running as root use it where root ignores permissions). */
  user?: { uid: number; gid: number };
}

export function startCli(args: string[], opts: CliOptions): CliRun {
  const [command, ...prefixArgs] = opts.prefix ?? [process.execPath];
  const argv = opts.prefix ? [...prefixArgs, ...(prefixArgs.includes(process.execPath) ? [] : [process.execPath]), BIN, ...args] : [BIN, ...args];
  return startCliWith([command!, ...argv], opts);
}

export function runCli(args: string[], opts: CliOptions): Promise<CliResult> {
  return startCli(args, opts).done;
}

/**
 * The built CLI with a real terminal as its stdout and stderr: run under util-linux `script`, which
 * gives it a pseudo terminal (what `process.stdout.isTTY` sees in a user's shell). Everything it
 * writes comes back as `stdout` (a terminal has one screen).
 */
export function runCliOnTerminal(args: string[], opts: CliOptions): Promise<CliResult> {
  return startCliOnTerminal(args, opts).done;
}

/** The same, started. */
export function startCliOnTerminal(args: string[], opts: CliOptions): CliRun {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const line = [process.execPath, BIN, ...args].map(quote).join(' ');
  return startCliWith(['script', '-qec', line, '/dev/null'], opts);
}

/**
 * The built CLI on a terminal the test can hang up (`hangUp`: its window closed, its SSH session
 * lost), through test/helpers/terminal.py (python3's pty: Node has none). `done` reports the CLI's
 * own exit code, as a shell would (128 + the signal's number when one ended it).
 */
export function startCliOnHangupTerminal(args: string[], opts: CliOptions): CliRun & { hangUp(): void } {
  const run = startCliWith(['python3', fileURLToPath(new URL('./terminal.py', import.meta.url)), process.execPath, BIN, ...args], opts, 'pipe');
  return { ...run, hangUp: () => run.child.stdin!.end('hang up\n') };
}

function startCliWith(argv: string[], opts: CliOptions, stdin: 'ignore' | 'pipe' = 'ignore'): CliRun {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...opts.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: env as NodeJS.ProcessEnv, stdio: [stdin, 'pipe', 'pipe'], ...opts.user });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (output.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output.stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, ...output })));
  return { child, output, done };
}

export interface DeployHook {
  /** argv of a deploy command that calls the hook, then exits with `exitCode` (after `holdMs`, optionally). */
  argv(opts?: { exitCode?: number; holdUntilSignal?: boolean; marker?: string }): string[];
  calls: number;
  close(): Promise<void>;
}

/**
 * A loopback server the deploy command calls when it runs, so the test can switch the app to its
 * "new version" exactly at deploy time. With holdUntilSignal, the command then waits for a signal
 * and writes the signal's name to `marker` before exiting.
 */
export async function deployHook(onDeploy: () => void | Promise<void>): Promise<DeployHook> {
  const hook = { calls: 0 } as DeployHook;
  const server: Server = createServer((req, res) => {
    hook.calls++;
    void Promise.resolve(onDeploy()).then(() => res.end('ok'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/deployed`;
  hook.argv = ({ exitCode = 0, holdUntilSignal = false, marker } = {}) => {
    const script = holdUntilSignal
      ? `const fs = require('fs');
         for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => { fs.writeFileSync(${JSON.stringify(marker ?? '')}, s); process.exit(${exitCode}); });
         fetch(${JSON.stringify(url)}).then(() => console.log('deploy running'));
         setInterval(() => {}, 1000);`
      : `fetch(${JSON.stringify(url)}).then(() => { console.log('deployed'); process.exit(${exitCode}); });`;
    return [process.execPath, '-e', script];
  };
  hook.close = () => new Promise<void>((r) => server.close(() => r()));
  return hook;
}

/**
 * Flags for a fast cycle against a local app. A request gets 2 s, more than the ticks' 100 ms: on a
 * loaded runner a shorter timeout cut most POST requests off, and a test asserting a verdict got
 * one judged on too few samples (attention, exit 0).
 */
export function fastFlags(url: string, extra: string[] = []): string[] {
  return cycleFlags(url, '2s', extra);
}

/** The request timeout of faultFlags: short, for tests that time a peer which never answers. */
export const FAULT_TIMEOUT_MS = 300;

/** fastFlags with each request cut off at FAULT_TIMEOUT_MS. */
export function faultFlags(url: string, extra: string[] = []): string[] {
  return cycleFlags(url, `${FAULT_TIMEOUT_MS}ms`, extra);
}

function cycleFlags(url: string, timeout: string, extra: string[]): string[] {
  return ['--endpoint', url, '--pre-samples', '3', '--interval', '100ms', '--window', '1s', '--timeout', timeout, '--retries', '1', ...extra];
}

/** Things a test starts (apps, hooks) are closed after it, whatever it asserted: `const app = track(await startTestApp())`. */
export function closeAfterEach(): <T extends { close(): Promise<void> }>(resource: T) => T {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });
  return (resource) => {
    open.push(resource);
    return resource;
  };
}
