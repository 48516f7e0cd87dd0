/** `seqpulse analyze --pre FILE --post FILE` (dry run) and `seqpulse analyze <id>` (re-judge a stored run). */
import { randomUUID } from 'node:crypto';
import { historyBaseline, recentHealthyRuns } from '../../app/history.js';
import { applyDryRun, buildReport, settleSamples } from '../../app/report.js';
import { storedPhases } from '../../app/snapshots.js';
import { analyze } from '../../core/analyze.js';
import { exitCodeFor } from '../../core/exit-code.js';
import type { VerdictReport } from '../../core/types.js';
import { UsageError } from '../../errors.js';
import { intervalOf, readSampleFile } from '../../sources/sample-file.js';
import { createConsole, resolveCommandConfig, withStore } from '../context.js';
import { findRun } from '../find-run.js';
import type { CommandFlags } from '../options.js';
import { printReport } from '../print.js';

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
    const [pre, post] = await Promise.all([readSampleFile(flags.pre!), readSampleFile(flags.post!)]);
    const analysis = analyze({ pre, post, rules: config.rules, intervalMs: intervalOf(post) ?? intervalOf(pre), settle: config.settleMs === undefined ? undefined : Math.ceil(config.settleMs / (intervalOf(post) ?? 1000)) });
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
      const run = await findRun(store, id);
      if (run.status !== 'finished') throw new UsageError(`run ${run.id} is ${run.status}: only a finished run can be judged again`);
      const healthy = await recentHealthyRuns(store, run, config.historyRuns, config.rules);
      const history = config.baseline === 'history' ? historyBaseline(healthy) : undefined;
      return buildReport(run, await storedPhases(store, run.id, config.rules, settleSamples(run.settings)), { rules: config.rules, failOn: config.failOn, now, history, healthy: healthy.windows, dryRun: config.dryRun, onEndpointFailure: config.onEndpointFailure });
    });
    if (!console.json) console.logger.log('info', 'rejudged', 'Judged again with the current config; the stored verdict is unchanged.');
  }
  printReport(console, report);
  return report.exit_code;
}
