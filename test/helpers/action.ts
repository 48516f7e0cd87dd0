/**
 * Runs the bundled Action (dist/index.js) as a real process, the way a runner does: inputs as
 * INPUT_* variables, file commands (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_STATE), an event
 * payload, RUNNER_TEMP, and a workspace as the working directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, type CliResult } from './cli.js';

export const ACTION_ENTRY = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

export interface ActionResult extends CliResult {
  outputs: Record<string, string>;
  summary: string;
  /** The runner's directory: summary, outputs, RUNNER_TEMP (reports land in temp/seqpulse). */
  runnerDir: string;
}

export interface ActionProcess {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  done: Promise<ActionResult>;
}

export interface ActionOptions {
  node: string;
  inputs: Record<string, string>;
  workspace: string;
  env?: Record<string, string>;
  event?: Record<string, unknown>;
  eventName?: string;
}

export function startAction(opts: ActionOptions): ActionProcess {
  const runnerDir = tempDir('seqpulse-runner-');
  const files = { output: join(runnerDir, 'output'), summary: join(runnerDir, 'summary.md'), state: join(runnerDir, 'state'), event: join(runnerDir, 'event.json') };
  for (const f of [files.output, files.summary, files.state]) writeFileSync(f, '');
  writeFileSync(files.event, JSON.stringify(opts.event ?? {}));
  mkdirSync(join(runnerDir, 'temp'));
  const env: Record<string, string> = {};
  // Only what a runner gives: nothing of this test process's INPUT_*/GITHUB_* leaks in.
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(INPUT_|GITHUB_|RUNNER_|SEQPULSE_)/.test(k)) env[k] = v;
  Object.assign(env, {
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_EVENT_NAME: opts.eventName ?? 'push',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_WORKSPACE: opts.workspace,
    RUNNER_TEMP: join(runnerDir, 'temp'),
    NO_COLOR: '1',
    ...opts.env,
  });
  for (const [name, value] of Object.entries(opts.inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  const child = spawn(opts.node, [ACTION_ENTRY], { cwd: opts.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (output.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output.stderr += d.toString()));
  const done = new Promise<ActionResult>((resolve) =>
    child.on('close', (code, signal) =>
      resolve({ code, signal, ...output, outputs: parseOutputs(readFileSync(files.output, 'utf8')), summary: readFileSync(files.summary, 'utf8'), runnerDir }),
    ),
  );
  return { child, output, done };
}

export function runAction(opts: ActionOptions): Promise<ActionResult> {
  return startAction(opts).done;
}

/** The GITHUB_OUTPUT file format: `name<<DELIMITER`, the value's lines, `DELIMITER`. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    out[m[1]!] = value.join('\n');
  }
  return out;
}
