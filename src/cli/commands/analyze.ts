/** `seqpulse analyze --pre FILE --post FILE` (dry run) and `seqpulse analyze <id>` (re-judge a stored run). */
import { randomUUID } from 'node:crypto';
import { historyBaseline, recentHealthyRuns, unreadableHealthyRuns } from '../../app/history.js';
import { applyDryRun, buildReport, settleSamples } from '../../app/report.js';
import { storedPhases } from '../../app/snapshots.js';
import { analyze } from '../../core/analyze.js';
import { exitCodeFor } from '../../core/exit-code.js';
import type { VerdictReport } from '../../core/types.js';
import { UsageError } from '../../errors.js';
import { intervalOf, phaseOrderWarning, readSampleFile } from '../../sources/sample-file.js';
import { createConsole, noStore, resolveCommandConfig, withStore } from '../context.js';
import { findRun } from '../../app/find-run.js';
import { shownLocation } from '../../store/location.js';
import type { CommandFlags } from '../options.js';
import { printReport } from '../print.js';
import { formatConfidence } from '../../core/wording.js';
import type { Colors } from '../../output/colors.js';
import { forDisplay } from '../../output/terminal.js';

export async function analyzeCommand(id: string | undefined, flags: CommandFlags & { pre?: string; post?: string }): Promise<number> {
  const console = createConsole(flags);
  if (id !== undefined && (flags.pre || flags.post)) throw new UsageError('give either a deployment id or --pre/--post files, not both');
  if (id === undefined && !(flags.pre && flags.post)) {
    throw new UsageError('analyze needs --pre FILE and --post FILE, or a deployment id', 'e.g. `seqpulse analyze --pre pre.json --post post.json`');
  }
  const config = await resolveCommandConfig(flags, console);
  const now = new Date().toISOString();
  let report: VerdictReport;
  if (id === undefined) {
    if (flags.pre === '-' && flags.post === '-') throw new UsageError('--pre and --post cannot both be - (standard input holds one file)', 'Give one of them as a file.');
    const [pre, post] = await Promise.all([readSampleFile(flags.pre!), readSampleFile(flags.post!)]);
    const order = phaseOrderWarning(pre, post, { pre: flags.pre!, post: flags.post! });
    if (order) console.logger.log('warn', 'phase_order', order);
    // Files without timestamps were sampled at the interval setting, as far as anyone can tell.
    const intervalMs = intervalOf(post) ?? intervalOf(pre) ?? config.intervalMs;
    const analysis = analyze({ pre, post, rules: config.rules, intervalMs, settle: config.settleMs === undefined ? undefined : Math.ceil(config.settleMs / intervalMs) });
    report = {
      deployment_id: randomUUID(),
      project: config.project,
      env: config.env,
      ...analysis,
      result: null,
      deploy_exit_code: null,
      status: 'finished',
      samples: { pre: pre.length, post: post.length, failed: 0 },
      created_at: now,
      exit_code: exitCodeFor({ status: 'finished', verdict: analysis.verdict }, config.failOn),
    };
    if (config.dryRun) applyDryRun(report);
  } else {
    report = await withStore(config, console, async (store) => {
      const run = await findRun(store, id, shownLocation(config.store));
      if (run.status !== 'finished') throw new UsageError(`run ${run.id} is ${run.status}: only a finished run can be judged again`);
      const healthy = await recentHealthyRuns(store, run, config.historyRuns, config.rules);
      const unreadable = unreadableHealthyRuns(healthy);
      if (unreadable) console.logger.log('warn', 'history_unreadable', unreadable, { deployment_id: run.id });
      const history = config.baseline === 'history' ? historyBaseline(healthy) : undefined;
      const again = buildReport(run, await storedPhases(store, run.id, config.rules, settleSamples(run.settings)), { rules: config.rules, failOn: config.failOn, now, history, healthy: healthy.windows, dryRun: config.dryRun, onEndpointFailure: config.onEndpointFailure });
      const stored = await store.getVerdict(run.id);
      again.stored_verdict = stored ? { verdict: stored.verdict, confidence: stored.confidence, summary: stored.summary, created_at: stored.created_at } : null;
      return again;
    }, (where) => noStore(where, `no run with id ${id}`));
  }
  printReport(console, report);
  if (report.stored_verdict !== undefined && !console.json && !console.quiet) console.stdout(storedVsNew(report, console.out));
  return report.exit_code;
}

/** The stored verdict next to the one just made: what changed, and that the store keeps the first. */
function storedVsNew(report: VerdictReport, c: Colors): string {
  const stored = report.stored_verdict;
  const now = `${report.verdict ?? 'no verdict'} (confidence ${formatConfidence(report.confidence)})`;
  if (!stored) return c.dim(`  Judged again with the current config: ${now}. The store holds no verdict for this run.`);
  // Read from a store someone else may write: escaped, as every value from outside is (a colour code in it would otherwise pass with ours).
  const then = `${forDisplay(String(stored.verdict ?? 'no verdict'))} (confidence ${formatConfidence(stored.confidence)}, made ${forDisplay(String(stored.created_at))})`;
  const same = stored.verdict === report.verdict;
  return [`  stored verdict: ${then}`, `  judged again:   ${now}${same ? ' — the same verdict' : c.bold(' — a different verdict')}`, c.dim('  The stored verdict is unchanged (judging again writes nothing).'), ''].join('\n');
}
