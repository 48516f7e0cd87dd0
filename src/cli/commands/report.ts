/** `seqpulse report <id> [--format html|md|json] [-o file]`: a run's verdict, for people to read and share. */
import { writeFileSync } from 'node:fs';
import { whyNoVerdict } from '../../app/no-verdict.js';
import { UsageError } from '../../errors.js';
import { renderHtmlReport } from '../../output/html-report.js';
import { renderMarkdown } from '../../output/markdown.js';
import { runSeries } from '../../output/series.js';
import { createConsole, resolveCommandConfig, withStore } from '../context.js';
import { findRun } from '../find-run.js';
import type { CommandFlags } from '../options.js';
import { forTerminal } from '../../output/terminal.js';

export async function reportCommand(id: string, flags: CommandFlags & { format?: string; output?: string }): Promise<number> {
  const console = createConsole(flags);
  const config = await resolveCommandConfig(flags, console);
  const { run, samples, verdict } = await withStore(config, console, async (store) => {
    const found = await findRun(store, id);
    return { run: found, samples: await store.getSamples(found.id), verdict: await store.getVerdict(found.id) };
  });
  if (!verdict) {
    const why = whyNoVerdict(run);
    throw new UsageError(`run ${run.id} ${why.reason}: there is nothing to report`, why.hint);
  }
  const format = flags.format ?? 'html';
  const text =
    format === 'json' ? `${JSON.stringify(verdict, null, 2)}\n`
    : format === 'md' ? renderMarkdown(verdict, { level: 1 })
    : renderHtmlReport(verdict, run, runSeries(samples, config.rules));
  if (flags.output) {
    try {
      writeFileSync(flags.output, text);
    } catch (err) {
      throw new UsageError(`cannot write the report to ${flags.output} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'Check that the directory exists and is writable.');
    }
    console.logger.log('info', 'report_written', `Report written to ${flags.output}`);
  } else {
    // To a terminal: the JSON's raw C1 and bidi characters (JSON.stringify leaves them) as \uXXXX too.
    process.stdout.write(forTerminal(text, false));
  }
  return 0;
}
