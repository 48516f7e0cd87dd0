/** Printing results and errors the same way for every command: JSON on stdout, or text. */
import type { VerdictReport } from '../core/types.js';
import { SeqpulseError } from '../errors.js';
import type { RunSeries } from '../output/series.js';
import { renderSparklines } from '../output/sparkline.js';
import { renderVerdict } from '../output/verdict-text.js';
import type { Console } from './context.js';
import { forTerminal } from '../output/terminal.js';
import { redactText } from '../redact.js';
import { givenSecrets } from './given-secrets.js';
import { createLogger } from '../output/logger.js';

/**
 * The format of stderr for errors: `--log-format json` (or SEQPULSE_LOG_FORMAT, or `log_format` in
 * the config file once it is read) makes every line on stderr a JSON object, the error that ends the
 * command included. Set from the arguments before they are parsed, then from the resolved config.
 */
let errorFormat: 'text' | 'json' = 'text';

export function setErrorFormat(format: 'text' | 'json'): void {
  errorFormat = format;
}

export function errorFormatIsJson(): boolean {
  return errorFormat === 'json';
}

/** The log format the arguments (before `run`'s `--`) and the environment ask for, before any config file is read. */
export function logFormatFromArgs(argv: readonly string[], env: Record<string, string | undefined>): 'text' | 'json' {
  const own = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  let flag: string | undefined;
  own.forEach((arg, i) => {
    if (arg === '--log-format') flag = own[i + 1];
    else if (arg.startsWith('--log-format=')) flag = arg.slice('--log-format='.length);
  });
  return (flag ?? env.SEQPULSE_LOG_FORMAT) === 'json' ? 'json' : 'text';
}

/**
 * Node's own warnings (a dependency's process.emitWarning: the Postgres client's several lines on
 * `sslmode=require`) as one log line each, in the error format: Node printed them raw, which broke
 * a JSON log's one object per line and spread a library's advice over a text one.
 */
export function logNodeWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error) => {
    const message = `${warning.name === 'Warning' ? '' : `${warning.name}: `}${warning.message}`.replace(/\s*\n\s*/g, ' ');
    createLogger({ format: errorFormat }).log('warn', 'node_warning', redactText(message, givenSecrets(process.argv.slice(2), process.env)));
  });
}

/** `series`: the run's samples, drawn as sparklines under the verdict (text output only). */
export function printReport(console: Console, report: VerdictReport, series?: RunSeries): void {
  if (console.json) return console.stdout(JSON.stringify(report, null, 2));
  if (console.quiet) return console.stdout(quietWord(report.verdict, report.status));
  console.stdout(renderVerdict(report, console.out));
  const lines = series ? renderSparklines(report.metrics.map((m) => m.name), series, console.out.dim, report.metrics) : '';
  if (lines) console.stdout(`\n${lines}`);
}

/**
 * What `--quiet` prints: the verdict; without one, why: `deploy_failed`, `interrupted`, ... or, for a
 * run that ended normally without a verdict, `no_verdict` (its status, `finished`, reads as success).
 */
export function quietWord(verdict: string | null, status: string): string {
  return verdict ?? (status === 'finished' ? 'no_verdict' : status);
}

/**
 * A user mistake: message and what to do, no stack. Anything else is a bug: say so, with the stack.
 * With JSON logs, stderr gets it as one object (`event: "error"`, its `code` and `hint`) instead.
 */
export function printError(console: Pick<Console, 'json' | 'stdout'> | undefined, err: unknown, write?: (s: string) => void): number {
  const text = write ?? (errorFormat === 'json' ? () => undefined : (s: string) => void process.stderr.write(s));
  const json = write === undefined && errorFormat === 'json' ? createLogger({ format: 'json' }) : undefined;
  // A URL's credentials in a value quoted back (--limit https://u:pw@h/x), and every secret this
  // process was given (a misplaced `--token=<the HMAC secret>` quoted back), are not printed.
  const secrets = givenSecrets(process.argv.slice(2), process.env);
  const masked = (text: string) => redactText(text, secrets);
  if (err instanceof SeqpulseError) {
    const message = masked(err.message);
    const hint = err.hint === undefined ? undefined : masked(err.hint);
    if (console?.json) console.stdout(JSON.stringify({ error: { code: err.code, message, hint: hint ?? null } }, null, 2));
    json?.log('error', 'error', message, { code: err.code, hint: hint ?? null, exit_code: err.exitCode });
    text(forTerminal(`seqpulse: ${message}\n${hint ? `  ${hint}\n` : ''}`, false));
    return err.exitCode;
  }
  if (console?.json) console.stdout(JSON.stringify({ error: { code: 'internal_error', message: masked(String(err)), hint: 'This is a bug in seqpulse; please report it.' } }, null, 2));
  const stack = masked(err instanceof Error ? (err.stack ?? err.message) : String(err));
  json?.log('error', 'error', `internal error: ${stack}`, { code: 'internal_error', hint: 'This is a bug in seqpulse; please report it.', exit_code: 70 });
  text(forTerminal(`seqpulse: internal error: ${stack}\nThis is a bug in seqpulse; please report it with the output above.\n`, false));
  return 70;
}
