/** `seqpulse report <id> [--format html|md|json] [-o file]`: a run's verdict, for people to read and share. */
import { whyNoVerdict } from '../../app/no-verdict.js';
import { UsageError } from '../../errors.js';
import { renderHtmlReport } from '../../output/html-report.js';
import { renderMarkdown } from '../../output/markdown.js';
import { runSeries } from '../../app/series.js';
import { createConsole, noStore, resolveCommandConfig, withStore } from '../context.js';
import { findRun } from '../../app/find-run.js';
import { shownLocation } from '../../store/location.js';
import type { CommandFlags } from '../options.js';
import { forTerminal } from '../../output/terminal.js';
import { writeTextAtomic } from '../../files.js';

export async function reportCommand(id: string, flags: CommandFlags & { format?: string; output?: string }): Promise<number> {
  if (flags.json) throw new UsageError('report has no --json: the format is chosen with --format json', `For the verdict as JSON on stdout: seqpulse report ${id} --format json -o -`);
  const console = createConsole(flags);
  const config = await resolveCommandConfig(flags, console);
  const { run, samples, verdict } = await withStore(config, console, async (store) => {
    const found = await findRun(store, id, shownLocation(config.store));
    return { run: found, samples: await store.getSamples(found.id), verdict: await store.getVerdict(found.id) };
  }, (where) => noStore(where, `no run with id ${id}`));
  if (!verdict) {
    const why = whyNoVerdict(run);
    throw new UsageError(`run ${run.id} ${why.reason}: there is nothing to report`, why.hint);
  }
  const format = flags.format ?? 'html';
  const text =
    format === 'json' ? `${JSON.stringify(verdict, null, 2)}\n`
    : format === 'md' ? renderMarkdown(verdict, { level: 1 })
    : renderHtmlReport(verdict, run, runSeries(samples, config.rules));
  // To a terminal a report is a file (12 KB of HTML is no use there); to a pipe, or with `-o -`, the text itself.
  const target = flags.output === '-' ? undefined : (flags.output ?? (process.stdout.isTTY ? defaultName(run.id, format) : undefined));
  if (target === undefined) {
    // To a terminal: the JSON's raw C1 and bidi characters (JSON.stringify leaves them) as \uXXXX too;
    // Markdown's word joiners after an @ stay what they are (as `\u2060` they showed in the rendered page).
    process.stdout.write(forTerminal(text, false, { mentionBreaks: format === 'md' }));
    return 0;
  }
  try {
    // Whole or not at all: a full disk leaves the file as it was, not a report cut half way.
    await writeTextAtomic(target, text, { overwrite: true });
  } catch (err) {
    throw new UsageError(`cannot write the report to ${target} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'Check that the directory exists and is writable, or print it with `-o -`.');
  }
  if (!console.quiet) console.logger.log('info', 'report_written', `Report written to ${target}${flags.output === undefined ? ' (to print it instead: -o -, or pipe it)' : ''}`);
  return 0;
}

/** The file a report gets on a terminal: in the working directory, named for its run. */
function defaultName(id: string, format: string): string {
  return `seqpulse-report-${id.slice(0, 8)}.${format}`;
}
