/** Option sets shared by several commands, so each flag is declared (and described) once. */
import { Option, type Command } from 'commander';
import { NUMBER_TEXT, type FlagValues } from '../config/resolve.js';
import { UsageError } from '../errors.js';

const repeat = (value: string, previous?: string[]): string[] => [...(previous ?? []), value];

/** Where the store is: every command that reads or writes runs. */
export function withStoreOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'config file (default: ./seqpulse.yml when present)')
    .option('--env <name>', 'environment name (selects per-environment overrides, such as another store)')
    .option('--store <path>', 'store location: a SQLite path (default: .seqpulse/seqpulse.db) or postgres://...')
    .option('--store-timeout <duration>', 'deadline of one operation on a Postgres store (default: 10s)');
}

/** Settings of the commands that make a verdict and store a run (run, start, finish). */
export function withConfigOptions(cmd: Command): Command {
  return withStoreOptions(cmd)
    .option('--project <name>', 'project (service) name')
    .option('--dry-run', 'run everything and report the verdict it would give, but exit 0')
    .option('--sync <url>', 'after the local write, push the run to this shared store (postgres://... or a SQLite path)')
    .option('--sync-timeout <duration>', 'the most --sync may add to a command, all steps together (default: 30s)')
    .addOption(failOnOption());
}

export function failOnOption(): Option {
  return new Option('--fail-on <level>', 'which verdict exits 1 (default: rollback)').choices(['rollback', 'attention', 'never']);
}

/** Settings for commands that pull samples. */
export function withCollectOptions(cmd: Command): Command {
  return withConfigOptions(cmd)
    .option('--endpoint <url>', 'signed metrics endpoint; repeat for several instances', repeat)
    .addOption(new Option('--secret <secret>', 'HMAC secret (prefer SEQPULSE_HMAC_SECRET); repeat during a rotation').argParser(repeat))
    .option('--pre-samples <n>', 'PRE samples before the deploy (default: 12)')
    .option('--interval <duration>', 'time between samples (default: 10s)')
    .option('--window <duration>', 'POST observation window (default: 5m)')
    .option('--timeout <duration>', 'per-request timeout (default: 5s)')
    .option('--retries <n>', 'extra attempts per sample on transient failures (default: 2)')
    .option('--settle <duration>', 'POST time set aside after the deploy (restarts, warm-up); default: a tenth of the window')
    .option('--no-early-exit', 'always observe the whole window, even when a regression is already decisive')
    .option('--persist <n>', 'POST samples in a row a regression must hold before an early rollback (default: 3)')
    .addOption(new Option('--on-endpoint-failure <action>', 'an endpoint that answered before the deploy and fails half the window after it: rollback (default), attention or no_verdict').choices(['rollback', 'attention', 'no_verdict']))
    .addOption(new Option('--baseline <kind>', 'compare against PRE samples, or the POST samples of recent good runs').choices(['pre', 'history']))
    .option('--history-runs <n>', 'recent good runs in the history baseline (default: 5)')
    .addOption(new Option('--source <type>', 'where samples come from (default: ds-metrics)').choices(['ds-metrics', 'prometheus-scrape', 'prometheus', 'sql', 'command']))
    .option('--query <name=expression>', 'a metric and what gives it: scrape expression, PromQL or SQL; repeat per metric', repeat)
    .option('--prometheus-url <url>', 'Prometheus server (source prometheus)')
    .option('--pre-range <duration>', 'PRE from the last <duration> of Prometheus history instead of PRE samples (source prometheus)')
    .option('--sql-url <url>', 'database for business metrics: postgres://... (a read replica) or a SQLite path (source sql)')
    .option('--source-command <command>', 'command printing one sample as JSON, run at every sample (source command)')
    .addOption(new Option('--source-token <token>', 'bearer token for a Prometheus source (prefer SEQPULSE_SOURCE_TOKEN)'))
    .addOption(new Option('--on-store-error <action>', 'a store that cannot be opened: fail (default; nothing deployed) or continue (warn, judge in memory, keep nothing)').choices(['fail', 'continue']))
    .option('--insecure', 'do not verify TLS certificates of the endpoints (loudly warned; never in production)')
    .option('--pushgateway <url>', "push seqpulse's own metrics (samples, failures, durations, verdict) to this Prometheus Pushgateway after the run");
}

/**
 * The output options every command takes (SPEC 3 names them core options). `quiet`: what `--quiet`
 * leaves of the output, for commands whose result is not a verdict (by default: only the verdict).
 */
export function withOutputOptions(cmd: Command, opts: { quiet?: string; json?: boolean } = {}): Command {
  if (opts.json !== false) cmd.option('--json', 'print exactly one JSON document on stdout');
  cmd.option('--quiet', opts.quiet ?? 'print only the verdict');
  return cmd.option('--no-color', 'no colours (also NO_COLOR)').option('--log-format <format>', 'text | json logs on stderr');
}

/** Options a command accepts (so the flags of `run` can be given as they are) but does not list: they mean nothing to it. */
export function hideOptions(cmd: Command, longNames: readonly string[]): Command {
  for (const option of cmd.options) if (option.long && longNames.includes(option.long)) option.hideHelp();
  return cmd;
}

/**
 * A whole-number flag that is not a setting (`history --limit`), read as the settings' number flags
 * are: digits only, then bounds, so a value the store cannot take never reaches it.
 */
export function wholeNumberFlag(flag: string, text: string, min: number, max: number): number {
  const n = NUMBER_TEXT.test(text.trim()) ? Number(text) : Number.NaN;
  if (Number.isInteger(n) && n >= min && n <= max) return n;
  throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, not "${text}"`, `Write it in digits, e.g. ${flag} ${min === 1 ? 50 : min}.`);
}

/** Examples under a command's help. */
export function withExamples(cmd: Command, examples: readonly [command: string, what: string][]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${examples.map(([command, what]) => `  # ${what}\n  $ ${command}`).join('\n\n')}\n`);
}

export interface OutputFlags {
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
  logFormat?: string;
}

export type CommandFlags = FlagValues & OutputFlags & { config?: string };

/** The part of the parsed flags the config resolver takes. */
export function configFlags(flags: CommandFlags): FlagValues {
  const { endpoint, secret, project, env, preSamples, interval, window, timeout, retries, failOn, store, sync, logFormat, settle, persist, onEndpointFailure, baseline, historyRuns, onStoreError } = flags;
  const { source, query, prometheusUrl, preRange, sqlUrl, sourceCommand, sourceToken, pushgateway, storeTimeout, syncTimeout, killGrace } = flags;
  const insecure = flags.insecure === true ? true : undefined;
  // commander sets earlyExit to true unless --no-early-exit: only the explicit "no" is a flag value.
  const earlyExit = flags.earlyExit === false ? false : undefined;
  const dryRun = flags.dryRun === true ? true : undefined;
  return {
    ...{ endpoint, secret, project, env, preSamples, interval, window, timeout, retries, failOn, store, sync, logFormat, settle, earlyExit, persist, onEndpointFailure, baseline, historyRuns, dryRun, onStoreError },
    ...{ source, query, prometheusUrl, preRange, sqlUrl, sourceCommand, sourceToken, pushgateway, insecure, storeTimeout, syncTimeout, killGrace },
  };
}
