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

/** A user mistake: message and what to do, no stack. Anything else is a bug: say so, with the stack. */
export function printError(console: Pick<Console, 'json' | 'stdout'> | undefined, err: unknown, write: (s: string) => void = (s) => void process.stderr.write(s)): number {
  // A URL's credentials in a value quoted back (--limit https://u:pw@h/x), and every secret this
  // process was given (a misplaced `--token=<the HMAC secret>` quoted back), are not printed.
  const secrets = givenSecrets(process.argv.slice(2), process.env);
  const masked = (text: string) => redactText(text, secrets);
  if (err instanceof SeqpulseError) {
    const message = masked(err.message);
    const hint = err.hint === undefined ? undefined : masked(err.hint);
    if (console?.json) console.stdout(JSON.stringify({ error: { code: err.code, message, hint: hint ?? null } }, null, 2));
    write(forTerminal(`seqpulse: ${message}\n${hint ? `  ${hint}\n` : ''}`, false));
    return err.exitCode;
  }
  if (console?.json) console.stdout(JSON.stringify({ error: { code: 'internal_error', message: masked(String(err)), hint: 'This is a bug in seqpulse; please report it.' } }, null, 2));
  write(forTerminal(`seqpulse: internal error: ${masked(err instanceof Error ? (err.stack ?? err.message) : String(err))}\nThis is a bug in seqpulse; please report it with the output above.\n`, false));
  return 70;
}
