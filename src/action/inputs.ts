/**
 * The Action's inputs, read the way the runner hands them over (INPUT_* variables), turned into the
 * same flag values the CLI gives the config resolver: one schema decides what is valid.
 */
import * as core from '@actions/core';
import { parse } from 'shell-quote';
import type { FlagValues } from '../config/resolve.js';
import { UsageError } from '../errors.js';
import { didYouMean } from '../suggest.js';

export type Mode = 'run' | 'start' | 'finish';

export interface ActionInputs {
  mode: Mode;
  /** The deploy command as an argv (mode run). */
  argv: string[];
  /** `command` runs through the shell. */
  shell: boolean;
  flags: FlagValues;
  configPath?: string;
  deploymentId?: string;
  result: 'success' | 'failed';
  githubToken?: string;
  commentOnPr: boolean;
  deploymentStatus: boolean;
}

/** Every input of action.yml (a test keeps the two lists equal). */
export const INPUT_NAMES = [
  'mode', 'command', 'shell', 'endpoints', 'secret', 'project', 'env', 'window', 'interval', 'pre-samples', 'fail-on', 'dry-run', 'config', 'store', 'sync',
  'source', 'queries', 'prometheus-url', 'source-token', 'deployment-id', 'result', 'github-token', 'comment-on-pr', 'deployment-status',
] as const;

/**
 * `INPUT_*` variables that name no input: a misspelt `with:` key (`windw: 10m`), silently ignored
 * otherwise. The runner passes `with: { pre-samples: 3 }` as INPUT_PRE-SAMPLES: names compare upper-cased.
 */
export function unknownInputs(env: Record<string, string | undefined> = process.env): string[] {
  const known = new Map(INPUT_NAMES.map((n) => [n.toUpperCase().replace(/ /g, '_'), n]));
  const warnings: string[] = [];
  for (const variable of Object.keys(env)) {
    if (!variable.startsWith('INPUT_')) continue;
    const given = variable.slice('INPUT_'.length);
    if (known.has(given)) continue;
    const name = given.toLowerCase();
    warnings.push(`input ${name} is not an input of seqpulse and is ignored${didYouMean(name, INPUT_NAMES) || ` (inputs: ${INPUT_NAMES.join(', ')})`}`);
  }
  return warnings;
}

export function readInputs(): ActionInputs {
  const text = (name: string) => core.getInput(name).trim() || undefined;
  const mode = (text('mode') ?? 'run') as Mode;
  if (!['run', 'start', 'finish'].includes(mode)) throw new UsageError(`input mode must be run, start or finish, not "${mode}"`);
  const result = text('result') ?? 'success';
  if (result !== 'success' && result !== 'failed') throw new UsageError(`input result must be success or failed, not "${result}"`);
  const command = text('command');
  const shell = bool('shell', false);
  // Accepted silently they would change nothing: finish has no PRE, and only run deploys.
  const idle = [mode !== 'run' && command ? 'command' : undefined, mode === 'finish' && text('pre-samples') ? 'pre-samples' : undefined].filter((n) => n !== undefined);
  if (idle.length > 0) {
    throw new UsageError(
      `input ${idle.join(' and ')} means nothing with mode: ${mode}`,
      mode === 'finish' && idle.includes('pre-samples') ? 'PRE was taken by the mode: start step, with the settings it stored: give pre-samples there.' : 'With mode: start and mode: finish, your own step deploys: remove command, or use mode: run.',
    );
  }
  if (mode === 'run' && !command) throw new UsageError('input command is required with mode: run', 'Give the deploy command, e.g. `command: kubectl apply -f k8s/`; or use mode: start and mode: finish around your own deploy step.');
  const endpoints = core.getMultilineInput('endpoints').map((e) => e.trim()).filter(Boolean);
  const secrets = core.getMultilineInput('secret').map((e) => e.trim()).filter(Boolean);
  const queries = core.getMultilineInput('queries').map((e) => e.trim()).filter(Boolean);
  const flags: FlagValues = {
    endpoint: endpoints.length > 0 ? endpoints : undefined,
    secret: secrets.length > 0 ? secrets : undefined,
    project: text('project'),
    env: text('env'),
    window: text('window'),
    interval: text('interval'),
    preSamples: text('pre-samples'),
    failOn: text('fail-on'),
    store: text('store'),
    sync: text('sync'),
    source: text('source'),
    query: queries.length > 0 ? queries : undefined,
    prometheusUrl: text('prometheus-url'),
    sourceToken: text('source-token'),
    // Only an explicit true is a flag: false leaves seqpulse.yml or SEQPULSE_DRY_RUN to decide.
    dryRun: bool('dry-run', false) || undefined,
  };
  return {
    mode,
    argv: command ? commandArgv(command, shell) : [],
    shell,
    flags,
    configPath: text('config'),
    deploymentId: text('deployment-id'),
    result,
    githubToken: text('github-token'),
    commentOnPr: bool('comment-on-pr', false),
    deploymentStatus: bool('deployment-status', false),
  };
}

/** A yes/no input; empty means the default (the runner fills defaults from action.yml, other callers may not). */
function bool(name: string, fallback: boolean): boolean {
  const value = core.getInput(name).trim().toLowerCase();
  if (value === '') return fallback;
  if (['true', 'yes', 'on', '1'].includes(value)) return true;
  if (['false', 'no', 'off', '0'].includes(value)) return false;
  throw new UsageError(`input ${name} must be true or false, not "${value}"`);
}

/**
 * Without `shell: true` the command is split into words like a shell would (quotes, escapes) but
 * never interpreted: operators, redirections, globs and variables are refused, so a value pasted
 * into the command cannot run anything else.
 */
export function commandArgv(command: string, shell: boolean): string[] {
  if (shell) return process.platform === 'win32' ? [process.env.ComSpec ?? 'cmd.exe', '/d', '/s', '/c', command] : ['/bin/sh', '-c', command];
  const variables: string[] = [];
  const words = parse(command, (name) => {
    variables.push(name);
    return '';
  });
  if (variables.length > 0) throw new UsageError(`input command refers to a variable ($${variables[0]})`, 'Use ${{ env.NAME }} in the workflow, or set `shell: true`.');
  const argv: string[] = [];
  for (const word of words) {
    if (typeof word !== 'string') {
      const what = 'op' in word ? (word.op === 'glob' ? `the glob ${word.pattern}` : `"${word.op}"`) : 'a comment';
      throw new UsageError(`input command uses shell syntax (${what})`, 'Set `shell: true` to run it through the shell, or put the steps in a script and give its path.');
    }
    argv.push(word);
  }
  if (argv.length === 0) throw new UsageError('input command is empty');
  if (argv[0] === '') throw new UsageError('input command starts with an empty word (\'\')', 'The first word is the program to run, e.g. `command: kubectl apply -f k8s/`.');
  // The CLI's `--` has no place here: seqpulse's settings are inputs of their own, never read from the command.
  if (argv[0] === '--') throw new UsageError('input command starts with --', 'The command input is the deploy command itself, and every word of it is the command\'s: remove the --, e.g. `command: kubectl apply -f k8s/`.');
  return argv;
}
