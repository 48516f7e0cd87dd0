/**
 * The command line: every command with a one-line description, its options, and the exit-code
 * table in --help. Command modules are imported only when their command runs, to keep start-up fast.
 */
import { Command, Option } from 'commander';
import { forTerminal } from '../output/terminal.js';
import { redactText } from '../redact.js';
import { givenSecrets } from './given-secrets.js';
import { errorFormatIsJson } from './print.js';
import { version } from '../version.js';
import { failOnOption, hideOptions, withCollectOptions, withExamples, withOutputOptions, withStoreOptions } from './options.js';

export const EXIT_CODE_HELP = `
Exit codes:
  0        verdict ok, or attention while --fail-on is rollback
  1        verdict rollback_recommended (or attention with --fail-on attention)
  2        usage or configuration error, including a rejected signature; nothing was deployed
  3        no verdict could be made (for example no POST sample at all)
  4        the deploy command failed; its own exit code is in the output and the stored run
  130/143  interrupted by SIGINT/SIGTERM; the signal was passed to the deploy command
  129      the same for SIGHUP (the terminal or SSH session went away)

Environment: SEQPULSE_HMAC_SECRET, SEQPULSE_ENDPOINTS, SEQPULSE_PROJECT, SEQPULSE_ENV, SEQPULSE_WINDOW, ...
(flags > SEQPULSE_* > seqpulse.yml > defaults). Docs: README.md.`;

/** Options of run that doctor accepts and does not list: they matter while a run samples, judges and stores, not to a check. */
const RUN_ONLY = ['--dry-run', '--fail-on', '--quiet', '--sync-timeout', '--pre-samples', '--interval', '--window', '--settle', '--no-early-exit', '--persist', '--baseline', '--history-runs', '--pre-range', '--pushgateway'];

/** Options of start and run that finish does not take: the PRE samples were taken by start, with its settings. */
export const FINISH_REFUSED = ['--pre-samples', '--pre-range'];

/** Builds the program; `setExit` receives the command's exit code; `rawArgs`: the arguments as typed (where `run`'s `--` was). */
export function buildProgram(setExit: (code: number) => void, rawArgs: readonly string[] = []): Command {
  const program = new Command('seqpulse')
    .description('Did this deploy make things worse? ok, attention or rollback_recommended, from PRE vs POST metrics.')
    .version(version(), '-v, --version')
    // With JSON logs, stderr has no text line: main.ts writes the parse error as one JSON object instead.
    .showHelpAfterError(errorFormatIsJson() ? false : '(run with --help for usage)')
    // One style for every error, commander's own included (which start "error: ", "(Did you mean"): seqpulse: <what>, lower case;
    // they quote the arguments as typed, so they are made safe for a terminal like every other line.
    // A URL's credentials typed into the wrong flag (--source postgres://u:pw@db/x) are not quoted back.
    .configureOutput({ outputError: (text, write) => errorFormatIsJson() ? undefined : write(forTerminal(redactText(text.replace(/^error: /, 'seqpulse: ').replace('(Did you mean', '(did you mean'), givenSecrets(process.argv.slice(2), process.env)), false)) })
    .addHelpText('after', EXIT_CODE_HELP)
    // Set before the subcommands are added, so they inherit it: parse errors throw instead of exiting.
    .exitOverride()
    // Lets `run` stop reading options at the deploy command's first word (passThroughOptions).
    .enablePositionalOptions();

  const done = (p: Promise<number>) => p.then(setExit);

  const run = withOutputOptions(withCollectOptions(program.command('run')))
    .summary('whole cycle: PRE samples, deploy command, POST window, verdict, exit code')
    .description('Pulls PRE samples, runs the deploy command given after `--` (no shell), samples POST over the window, and judges.')
    .argument('<command...>', 'the deploy command and its arguments, after --')
    .option('--shell', 'run the deploy command through the shell (/bin/sh -c): pipes, &&, globs; without it the command runs as argv, no shell')
    .option('--kill-grace <duration>', 'time the deploy command gets after SIGINT/SIGTERM/SIGHUP before its whole process group is killed (default: 10s)')
    .usage('[options] -- <command> [args...]')
    // From the command's first word on, every word is the command's: an option there is never taken as seqpulse's (deploy-args.ts).
    .passThroughOptions()
    .action((argv: string[], flags) => done(import('./commands/run.js').then((m) => m.runCommand(argv, flags, rawArgs.slice(rawArgs.indexOf('run'))))));
  withExamples(run, [
    ['seqpulse run -- kubectl apply -f k8s/', 'endpoints and secret from seqpulse.yml and SEQPULSE_HMAC_SECRET'],
    ['seqpulse run --endpoint https://shop.internal/ds-metrics --window 10m -- ./deploy.sh', 'one endpoint, a longer window'],
    ['seqpulse run --json --shell -- "make build && make deploy" > verdict.json', 'through the shell, the verdict as JSON'],
  ]);

  const start = withOutputOptions(withCollectOptions(program.command('start')))
    .summary('first half: PRE samples, stores the run, prints its deployment id')
    .action((flags) => done(import('./commands/start.js').then((m) => m.startCommand(flags))));
  withExamples(start, [
    ['id=$(seqpulse start --quiet)', 'PRE samples now; the id for finish'],
    ['seqpulse start --json --store postgres://ci@db/seqpulse', 'in a shared store, when finish runs in another job'],
  ]);

  // PRE was taken by start: its PRE options are not listed here, and refused when given (finish.ts).
  const finish = hideOptions(withOutputOptions(withCollectOptions(program.command('finish'))), FINISH_REFUSED)
    .summary('second half: POST samples over the window, verdict, exit code')
    .argument('<deployment-id>', 'id printed by `seqpulse start`')
    .addOption(new Option('--result <result>', 'outcome of the deploy step').choices(['success', 'failed']).default('success'))
    .action((id: string, flags) => done(import('./commands/finish.js').then((m) => m.finishCommand(id, flags))));
  withExamples(finish, [
    ['seqpulse finish "$id"', 'after the deploy step: POST window, verdict, exit code'],
    ['seqpulse finish "$id" --result failed', 'the deploy step failed: recorded, nothing sampled (exit 4)'],
  ]);

  // Judging again reads the store and writes nothing: no --sync, no --dry-run (its exit code is --fail-on's).
  const analyze = withOutputOptions(withStoreOptions(program.command('analyze')))
    .summary('dry run on sample files (--pre/--post), or re-judge a stored run with the current config')
    .argument('[deployment-id]', 'a stored run to judge again (the stored verdict is unchanged)')
    .option('--pre <file>', 'PRE samples file (JSON, JSON array or JSON Lines); - for standard input')
    .option('--post <file>', 'POST samples file; - for standard input')
    .option('--project <name>', 'project name in the verdict of sample files')
    .addOption(failOnOption())
    .action((id: string | undefined, flags) => done(import('./commands/analyze.js').then((m) => m.analyzeCommand(id, flags))));
  withExamples(analyze, [
    ['seqpulse analyze --pre pre.json --post post.jsonl', 'judge samples from files; nothing is pulled or stored'],
    ['seqpulse analyze 3f2a9c1e --config strict.yml', 'a stored run under other thresholds, next to its stored verdict'],
  ]);

  const verdict = withOutputOptions(withStoreOptions(program.command('verdict')))
    .summary('print a stored verdict, with the exit code it gave')
    .argument('<deployment-id>')
    .action((id: string, flags) => done(import('./commands/verdict.js').then((m) => m.verdictCommand(id, flags))));
  withExamples(verdict, [
    ['seqpulse verdict 3f2a9c1e', 'the verdict, and the exit code it gave then'],
    ['seqpulse verdict "$id" --quiet', 'just ok, attention or rollback_recommended'],
  ]);

  // Filters, not settings: --project and --env pick runs here.
  const history = program
    .command('history')
    .summary('list runs with their verdicts, newest first')
    .option('--config <file>', 'config file (default: ./seqpulse.yml when present): where the store is')
    .option('--store <path>', 'store location: a SQLite path (default: .seqpulse/seqpulse.db) or postgres://...')
    .option('--store-timeout <duration>', 'deadline of one operation on a Postgres store (default: 10s)')
    .option('--project <name>', 'only runs of this project')
    .option('--env <name>', 'only runs of this environment')
    .addOption(new Option('--verdict <verdict>', 'only runs with this verdict').choices(['ok', 'attention', 'rollback_recommended']))
    .option('--since <when>', 'only runs since a date or a time back (24h, 7d)')
    .option('--limit <n>', 'at most this many runs (default: 50)')
    .action((flags) => done(import('./commands/history.js').then((m) => m.historyCommand(flags))));
  withOutputOptions(history, { quiet: "print only the runs' ids, one per line" });
  withExamples(history, [
    ['seqpulse history', 'the last 50 runs in .seqpulse/seqpulse.db'],
    ['seqpulse history --project checkout-api --verdict rollback_recommended --since 7d', 'last week\'s rollbacks of one service'],
    ['seqpulse history --store postgres://reader@db/seqpulse --json', "the team's store, as JSON"],
  ]);

  const show = withOutputOptions(withStoreOptions(program.command('show')), { quiet: "print only the run's verdict (its status when it has none)" })
    .summary('one run in full: settings, deploy, per-metric series, verdict')
    .argument('<deployment-id>')
    .action((id: string, flags) => done(import('./commands/show.js').then((m) => m.showCommand(id, flags))));
  withExamples(show, [
    ['seqpulse show 3f2a9c1e', 'settings, deploy, series with sparklines, the verdict'],
    ['seqpulse show 3f2a9c1e --json', 'the run, its verdict and every raw sample'],
  ]);

  // Same flags as run (so a run's command line can be checked as it is); what only a verdict uses is accepted, not listed.
  const doctor = hideOptions(withOutputOptions(withCollectOptions(program.command('doctor'))), RUN_ONLY)
    .summary('check config, endpoints, signature, metrics, store and sync target; exit 0 only when all pass')
    .description('Samples each endpoint once and checks everything a run needs, with a fix for each failure. Exit 0: nothing failed (warnings allowed); 2: a run would stop before deploying (a configuration error: invalid config, missing settings, a rejected signature, an unusable store); 1: another check failed. Every option of `run` is accepted, so a run\'s command line can be checked as it is; those that only matter while a run samples and judges are not listed.')
    .action((flags) => done(import('./commands/doctor.js').then((m) => m.doctorCommand(flags))));
  withExamples(doctor, [
    ['seqpulse doctor', 'with seqpulse.yml and SEQPULSE_HMAC_SECRET, as run would use them'],
    ['seqpulse doctor --endpoint https://staging.example.com/ds-metrics --json', 'one endpoint, the checklist as JSON'],
  ]);

  const report = withOutputOptions(withStoreOptions(program.command('report')), { json: false, quiet: 'no line saying where the report was written' })
    .summary('a shareable report of one run: self-contained HTML, Markdown or JSON')
    .description('Writes the report of a stored run. On a terminal it goes to a file (seqpulse-report-<id>.<format> in the working directory, its path printed); piped, or with -o -, to stdout.')
    .argument('<deployment-id>')
    .addOption(new Option('--format <format>', 'html (one file, no network), md or json').choices(['html', 'md', 'json']).default('html'))
    .option('-o, --output <file>', 'write the report to this file; - for stdout (default: a file on a terminal, stdout when piped)')
    .addOption(new Option('--out <file>', 'the same as --output (the name SPEC §2 gives)').hideHelp())
    // Every other command's JSON switch: taken only to say which option this one has for it.
    .addOption(new Option('--json').hideHelp())
    .action((id: string, flags) => done(import('./commands/report.js').then((m) => m.reportCommand(id, { ...flags, output: flags.output ?? flags.out }))));
  withExamples(report, [
    ['seqpulse report 3f2a9c1e', 'on a terminal: writes seqpulse-report-3f2a9c1e.html and prints its path'],
    ['seqpulse report 3f2a9c1e --format md -o - | gh pr comment 42 -F -', 'Markdown to stdout, for a chat or a PR'],
    ['seqpulse report 3f2a9c1e -o postmortem/deploy.html', 'to a file of your choice'],
  ]);

  const sync = withOutputOptions(withStoreOptions(program.command('sync')), { quiet: 'print nothing when it succeeds (errors still go to stderr)' })
    .summary('push local runs not yet in the shared store; safe to repeat')
    .option('--to <url>', 'the shared store (default: SEQPULSE_SYNC or sync: in seqpulse.yml)')
    .action((flags) => done(import('./commands/sync.js').then((m) => m.syncCommand(flags))));
  withExamples(sync, [
    ['seqpulse sync --to postgres://ci:$PGPASSWORD@db/seqpulse', 'push what the shared store lacks'],
    ['seqpulse sync', 'to the sync: target of seqpulse.yml'],
  ]);

  const prune = withOutputOptions(withStoreOptions(program.command('prune')), { quiet: 'print nothing when it succeeds (errors still go to stderr)' })
    .summary('retention: delete runs older than a duration, with their samples and verdicts')
    .option('--older-than <duration>', 'e.g. 30d, 12h')
    .action((flags) => done(import('./commands/prune.js').then((m) => m.pruneCommand(flags))));
  withExamples(prune, [
    ['seqpulse prune --older-than 30d', 'keep a month'],
    ['seqpulse prune --older-than 90d --store postgres://admin@db/seqpulse', 'on the shared store'],
  ]);

  const init = withOutputOptions(program.command('init'), { quiet: 'print nothing when it succeeds' })
    .summary('write a commented starter seqpulse.yml')
    .option('--path <file>', 'where to write it (default: ./seqpulse.yml)')
    .option('--force', 'overwrite an existing file')
    .action((flags) => done(import('./commands/init.js').then((m) => m.initCommand(flags))));
  withExamples(init, [
    ['seqpulse init', 'writes ./seqpulse.yml, every key commented'],
    ['seqpulse init --path deploy/seqpulse.yml --force', 'elsewhere, replacing what is there'],
  ]);

  const demo = withOutputOptions(program.command('demo'))
    .summary('self-contained demonstration: a healthy deploy, then a regressing one, against a local example app')
    .option('--store <path>', 'keep the demo runs in this store (default: a temporary one, deleted when the demo ends)')
    .action((flags) => done(import('./commands/demo.js').then((m) => m.demoCommand(flags))));
  withExamples(demo, [
    ['seqpulse demo', 'two deploys against an example app, about 20 s; nothing is kept'],
    ['seqpulse demo --store demo.db && seqpulse history --store demo.db', 'keep the runs, then look at them'],
  ]);

  return program;
}
