/**
 * Wiring for one CLI command: config from file + env + flags, the store, the source, logs and
 * progress. Everything opened here is closed by `dispose()`, so the process can end on its own.
 */
import { loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { AppIO } from '../app/io.js';
import { createLogger, type Logger, type LogLevel } from '../output/logger.js';
import { colorsFor, type Colors } from '../output/colors.js';
import { createProgress, type ProgressMode } from '../output/progress.js';
import { watchInterrupts } from '../runner/signals.js';
import { systemClock } from '../sampling/clock.js';
import { createSource } from '../sources/factory.js';
import type { MetricSource } from '../sources/types.js';
import { abandonedMessage, abandonedRuns, ownerAlive, reapAbandoned, thisProcess, type Reaped } from '../app/abandoned.js';
import { isPostgresUrl, openStore } from '../store/open.js';
import { redactError, redactUrl } from '../redact.js';
import { sharedPeer } from '../app/shared.js';
import type { Store } from '../store/types.js';
import { NotFoundError, StoreError } from '../errors.js';
import { optionName } from '../config/names.js';
import { shownLocation, storeExists } from '../store/location.js';
import { userAgent } from '../version.js';
import { configFlags, type CommandFlags } from './options.js';
import { forTerminal } from '../output/terminal.js';
import { setErrorFormat } from './print.js';

export interface Console {
  json: boolean;
  logFormat: 'text' | 'json';
  quiet: boolean;
  /** Colours for stdout (the verdict) and stderr (logs). */
  out: Colors;
  err: Colors;
  logger: Logger;
  stdout: (text: string) => void;
}

export function createConsole(flags: CommandFlags, env: Record<string, string | undefined> = process.env): Console {
  const noColor = flags.color === false;
  const err = colorsFor(process.stderr, { noColor, env });
  // Known before the config file is read, so config errors are logged in the format asked for.
  const format = flags.logFormat === 'json' || env.SEQPULSE_LOG_FORMAT === 'json' ? 'json' : 'text';
  const out = colorsFor(process.stdout, { noColor, env });
  return {
    json: flags.json === true,
    logFormat: format,
    quiet: flags.quiet === true,
    out,
    err,
    logger: createLogger({ format, label: textLabel(err), quiet: quietLog(flags.quiet === true) }),
    // The last line before the terminal (terminal.ts): only newlines and our own colours pass raw.
    stdout: (text) => void process.stdout.write(forTerminal(text.endsWith('\n') ? text : `${text}\n`, out.isColorSupported)),
  };
}

/**
 * What `--quiet` leaves of the text log: warnings and errors, and the one line `finish` prints to
 * say which settings it used (the stored ones, or its own: README, In CI).
 */
function quietLog(quiet: boolean): { keep: readonly string[] } | undefined {
  return quiet ? { keep: ['finish_settings'] } : undefined;
}

/** `timingLater`: see ResolveInput.timingLater (`finish`). */
export async function resolveCommandConfig(flags: CommandFlags, console: Console, opts: { timingLater?: boolean } = {}): Promise<ResolvedConfig> {
  const config = await loadConfig({ cwd: process.cwd(), env: process.env, flags: configFlags(flags), configPath: flags.config, ...opts });
  // An error after this point (a rejected signature, a store that cannot be opened) is logged as the config says (log_format).
  setErrorFormat(config.logFormat);
  if (config.logFormat !== console.logFormat) {
    console.logFormat = config.logFormat;
    console.logger = createLogger({ format: config.logFormat, label: textLabel(console.err), quiet: quietLog(console.quiet) });
  }
  for (const warning of config.warnings) console.logger.log('warn', 'config_warning', warning);
  return config;
}

export interface CommandIO {
  io: AppIO;
  dispose(): Promise<void>;
}

/** `openedStore`: a store the command already opened (it is closed by dispose() too). */
export async function createAppIO(config: ResolvedConfig, console: Console, openedStore?: Store): Promise<CommandIO> {
  const store = openedStore ?? (await openCommandStore(config, console));
  const interrupts = watchInterrupts();
  // Said at once: what follows (the deploy's grace period, closing a window, a verdict) may take a while.
  interrupts.onSignal((sig, count) => console.logger.log('warn', 'signal_received', `${sig} received${count > 1 ? ' again' : ''}: stopping`));
  let source: MetricSource | undefined;
  // JSON logs and CI logs get one line per sample; a terminal gets the spinner.
  const mode: ProgressMode = console.quiet ? 'silent' : config.logFormat === 'json' || !process.stderr.isTTY ? 'lines' : 'spinner';
  const sync = config.sync;
  const shared = sync
    ? sharedPeer({ open: () => openStore(sync, { timeoutMs: config.storeTimeoutMs }), shown: redactUrl(sync), budgetMs: config.syncTimeoutMs, unavailable: warnShared(sync, console), interrupts })
    : undefined;
  const io: AppIO = {
    store,
    shared,
    stats: {},
    source: () => (source ??= createSource(config, userAgent())),
    clock: systemClock,
    logger: console.logger,
    progress: createProgress(mode, console.logger),
    interrupts,
    deployStdout: config.logFormat === 'json' ? 'log' : console.json ? 'stderr' : 'inherit',
  };
  return {
    io,
    async dispose() {
      interrupts.dispose();
      io.progress.stop();
      await source?.close();
      await shared?.close();
      await store.close();
    },
  };
}

function warnShared(target: string, console: Console): (err: unknown) => void {
  return (err) =>
    console.logger.log(
      'warn',
      'shared_store_unavailable',
      `Shared store ${redactUrl(target)} unavailable (${redactError(err, target)}): deploys from other runners cannot be checked for overlap; the run goes on without it.`,
    );
}

/**
 * Opens the store for a command, and settles runs of this host whose process died (so every
 * command sees them as abandoned, and says so once).
 */
export async function openCommandStore(config: ResolvedConfig, console: Console): Promise<Store> {
  let store: Store;
  try {
    store = await openStore(config.store, { timeoutMs: config.storeTimeoutMs });
  } catch (err) {
    if (!(err instanceof StoreError) || config.onStoreError !== 'continue') throw err;
    // The user chose a deploy that is never blocked by its bookkeeping: same cycle and verdict, in memory.
    console.logger.log('warn', 'store_unavailable', `${err.message}. Going on without it (on_store_error: continue): the run and its verdict are kept in memory only, and lost when this command ends.`);
    const { openSqlJsStore } = await import('../store/sqljs.js');
    return openSqlJsStore(null);
  }
  return settled(store, console);
}

/** `store`, once the runs of this host whose process died are settled (and said so); closed if that fails. */
async function settled(store: Store, console: Console): Promise<Store> {
  try {
    for (const reaped of await reapAbandoned(store, thisProcess(), ownerAlive, Date.now())) {
      console.logger.log('warn', 'run_abandoned', abandonedMessage(reaped), { deployment_id: reaped.run.id });
    }
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/**
 * The store for a command that only reads it: a SQLite file read-only, left as it was (a read-only
 * file or directory is enough). Abandoned runs are still settled as by any command, the one
 * write a reading command makes, and only when there are some: the store is then opened for
 * writing. If it cannot be opened or written (read-only, locked), they are shown as they are, with a
 * warning: a read never fails for it.
 */
async function openReadingStore(config: ResolvedConfig, console: Console): Promise<Store> {
  if (isPostgresUrl(config.store)) return openCommandStore(config, console);
  const open = () => openStore(config.store, { readOnly: true });
  const reader = await open();
  let pending: Reaped[];
  try {
    pending = await abandonedRuns(reader, thisProcess(), ownerAlive, Date.now());
  } catch (err) {
    await reader.close();
    throw err;
  }
  if (pending.length === 0) return reader;
  await reader.close();
  try {
    // A file SQLite can only open read-only (mode 444 beside its -wal, as a kill -9 leaves it) opens, and fails at the write.
    return await settled(await openStore(config.store), console);
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    const ids = pending.map((p) => p.run.id).join(', ');
    console.logger.log('warn', 'runs_not_settled', `Run(s) ${ids} look abandoned, but ${err.message}: shown as they are; the next command that can write the store marks them abandoned.`);
    return open();
  }
}

/**
 * Opens only the store, for commands that read it (read-only, see openReadingStore), or with
 * `write`, that change what is in it (prune). A SQLite store that is not there is not created:
 * `missing` answers instead (a command that only reads leaves nothing behind).
 */
export async function withStore<T>(
  config: ResolvedConfig,
  console: Console,
  use: (store: Store) => Promise<T>,
  missing: (where: string) => T | Promise<T> = noStore,
  opts: { write?: boolean } = {},
): Promise<T> {
  if (!storeExists(config.store)) return missing(shownLocation(config.store));
  const store = opts.write ? await openCommandStore(config, console) : await openReadingStore(config, console);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** No store where a command looked: what it says by default. */
export function noStore(where: string, what = 'nothing to read'): never {
  throw new NotFoundError(`${what}: there is no store at ${where} (no run was kept there)`, `Runs are kept where they were made (by default .seqpulse/seqpulse.db in the directory \`seqpulse run\` ran in): cd there, or give ${optionName('store')}.`);
}

function textLabel(c: Colors) {
  return (level: LogLevel) => (level === 'warn' ? c.yellow('warning: ') : level === 'error' ? c.red('error: ') : '');
}
