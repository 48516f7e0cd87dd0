/**
 * The command line: every command with a one-line description, its options, and the exit-code
 * table in --help. Command modules are imported only when their command runs, to keep start-up fast.
 */
import { Command, Option } from 'commander';
import { version } from '../version.js';
import { withCollectOptions, withConfigOptions, withOutputOptions } from './options.js';

export const EXIT_CODE_HELP = `
Exit codes:
  0        verdict ok, or attention while --fail-on is rollback
  1        verdict rollback_recommended (or attention with --fail-on attention)
  2        usage or configuration error, including a rejected signature; nothing was deployed
  3        no verdict could be made (for example no POST sample at all)
  4        the deploy command failed; its own exit code is in the output and the stored run
  130/143  interrupted by SIGINT/SIGTERM; the signal was passed to the deploy command

Environment: SEQPULSE_HMAC_SECRET, SEQPULSE_ENDPOINTS, SEQPULSE_PROJECT, SEQPULSE_ENV, SEQPULSE_WINDOW, ...
(flags > SEQPULSE_* > seqpulse.yml > defaults). Docs: README.md.`;

/** Builds the program; `setExit` receives the command's exit code; `rawArgs`: the arguments as typed (where `run`'s `--` was). */
export function buildProgram(setExit: (code: number) => void, rawArgs: readonly string[] = []): Command {
  const program = new Command('seqpulse')
    .description('Did this deploy make things worse? ok, attention or rollback_recommended, from PRE vs POST metrics.')
    .version(version(), '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODE_HELP)
    // Set before the subcommands are added, so they inherit it: parse errors throw instead of exiting.
    .exitOverride()
    // Lets `run` stop reading options at the deploy command's first word (passThroughOptions).
    .enablePositionalOptions();

  const done = (p: Promise<number>) => p.then(setExit);

  withOutputOptions(withCollectOptions(program.command('run')))
    .summary('whole cycle: PRE samples, deploy command, POST window, verdict, exit code')
    .description('Pulls PRE samples, runs the deploy command given after `--` (no shell), samples POST over the window, and judges.')
    .argument('<command...>', 'the deploy command and its arguments, after --')
    .option('--shell', 'run the deploy command through the shell (/bin/sh -c): pipes, &&, globs; without it the command runs as argv, no shell')
    .option('--kill-grace <duration>', 'time the deploy command gets after SIGINT/SIGTERM before its whole process group is killed (default: 10s)')
    .usage('[options] -- <command> [args...]')
    // From the command's first word on, every word is the command's: an option there is never taken as seqpulse's (deploy-args.ts).
    .passThroughOptions()
    .action((argv: string[], flags) => done(import('./commands/run.js').then((m) => m.runCommand(argv, flags, rawArgs.slice(rawArgs.indexOf('run'))))));

  withOutputOptions(withCollectOptions(program.command('start')))
    .summary('first half: PRE samples, stores the run, prints its deployment id')
    .action((flags) => done(import('./commands/start.js').then((m) => m.startCommand(flags))));

  withOutputOptions(withCollectOptions(program.command('finish')))
    .summary('second half: POST samples over the window, verdict, exit code')
    .argument('<deployment-id>', 'id printed by `seqpulse start`')
    .addOption(new Option('--result <result>', 'outcome of the deploy step').choices(['success', 'failed']).default('success'))
    .action((id: string, flags) => done(import('./commands/finish.js').then((m) => m.finishCommand(id, flags))));

  withOutputOptions(withConfigOptions(program.command('analyze')))
    .summary('dry run on sample files (--pre/--post), or re-judge a stored run with the current config')
    .argument('[deployment-id]', 'a stored run to judge again')
    .option('--pre <file>', 'PRE samples file (JSON, JSON array or JSON Lines)')
    .option('--post <file>', 'POST samples file')
    .action((id: string | undefined, flags) => done(import('./commands/analyze.js').then((m) => m.analyzeCommand(id, flags))));

  withOutputOptions(withConfigOptions(program.command('verdict')))
    .summary('print a stored verdict, with the exit code it gave')
    .argument('<deployment-id>')
    .action((id: string, flags) => done(import('./commands/verdict.js').then((m) => m.verdictCommand(id, flags))));

  withOutputOptions(withConfigOptions(program.command('history')))
    .summary('list runs with their verdicts, newest first')
    .option('--verdict <verdict>', 'only runs with this verdict')
    .option('--since <when>', 'only runs since a date or a time back (24h, 7d)')
    .option('--limit <n>', 'at most this many runs (default: 50)')
    .action((flags) => done(import('./commands/history.js').then((m) => m.historyCommand(flags))));

  withOutputOptions(withConfigOptions(program.command('show')))
    .summary('one run in full: settings, deploy, per-metric series, verdict')
    .argument('<deployment-id>')
    .action((id: string, flags) => done(import('./commands/show.js').then((m) => m.showCommand(id, flags))));

  withOutputOptions(withCollectOptions(program.command('doctor')))
    .summary('check config, endpoints, signature, metrics, store and sync target; exit 0 only when all pass')
    .description('Samples each endpoint once and checks everything a run needs, with a fix for each failure. Exit 0: all passed (warnings allowed); 1: a check failed.')
    .action((flags) => done(import('./commands/doctor.js').then((m) => m.doctorCommand(flags))));

  withConfigOptions(program.command('report'))
    .summary('a shareable report of one run: self-contained HTML, Markdown or JSON')
    .argument('<deployment-id>')
    .addOption(new Option('--format <format>', 'html (one file, no network), md or json').choices(['html', 'md', 'json']).default('html'))
    .option('-o, --output <file>', 'write the report to this file instead of stdout')
    .action((id: string, flags) => done(import('./commands/report.js').then((m) => m.reportCommand(id, flags))));

  withOutputOptions(withConfigOptions(program.command('sync')))
    .summary('push local runs not yet in the shared store; safe to repeat')
    .option('--to <url>', 'the shared store (default: --sync / SEQPULSE_SYNC / sync: in seqpulse.yml)')
    .action((flags) => done(import('./commands/sync.js').then((m) => m.syncCommand(flags))));

  withOutputOptions(withConfigOptions(program.command('prune')))
    .summary('retention: delete runs older than a duration, with their samples and verdicts')
    .option('--older-than <duration>', 'e.g. 30d, 12h')
    .action((flags) => done(import('./commands/prune.js').then((m) => m.pruneCommand(flags))));

  program
    .command('init')
    .summary('write a commented starter seqpulse.yml')
    .option('--path <file>', 'where to write it (default: ./seqpulse.yml)')
    .option('--force', 'overwrite an existing file')
    .action((flags) => done(import('./commands/init.js').then((m) => m.initCommand(flags))));

  withOutputOptions(program.command('demo'))
    .summary('self-contained demonstration: a healthy deploy, then a regressing one, against a local example app')
    .option('--store <path>', 'keep the demo runs in this store (default: a temporary one)')
    .action((flags) => done(import('./commands/demo.js').then((m) => m.demoCommand(flags))));

  return program;
}
