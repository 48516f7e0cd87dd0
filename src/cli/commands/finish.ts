/** `seqpulse finish <id> [--result success|failed]`: the POST half of a run made by `start`. */
import { finishRun, prepareFinish } from '../../app/cycle.js';
import { UsageError } from '../../errors.js';
import { createAppIO, createConsole, openCommandStore, resolveCommandConfig } from '../context.js';
import type { CommandFlags } from '../options.js';
import { printReport } from '../print.js';
import { storedRunSeries } from '../../app/series.js';
import { pushAfterRun } from '../push-metrics.js';
import { syncAfterRun } from './sync.js';
import type { RunRecord } from '../../store/types.js';
import type { ResolvedConfig } from '../../config/resolve.js';

export async function finishCommand(id: string, flags: CommandFlags & { result?: string }): Promise<number> {
  const given = [flags.preSamples === undefined ? undefined : '--pre-samples', flags.preRange === undefined ? undefined : '--pre-range'].filter((f) => f !== undefined);
  if (given.length > 0) {
    // Accepted silently it would change nothing: PRE is over.
    throw new UsageError(`finish takes no ${given.join(' or ')}: the PRE samples were taken by \`seqpulse start\`, with the settings it stored`, `Give ${given.join(' and ')} to start (or to run).`);
  }
  const console = createConsole(flags);
  const result = flags.result ?? 'success';
  if (result !== 'success' && result !== 'failed') throw new UsageError(`--result must be success or failed, not "${result}"`);
  // Its interval, window and settle period are checked once the timing start stored is merged in.
  const loaded = await resolveCommandConfig(flags, console, { timingLater: true });
  const store = await openCommandStore(loaded, console);
  let config: ResolvedConfig;
  let run: RunRecord;
  try {
    ({ run, config } = await prepareFinish(loaded, id, result, store, (note, found, level) => console.logger.log(level, 'finish_settings', note, { deployment_id: found.id })));
  } catch (err) {
    await store.close();
    throw err;
  }
  const { io, dispose } = await createAppIO(config, console, store);
  try {
    const outcome = await finishRun(config, run, result, io);
    if (outcome.kind !== 'report') return 0;
    if (!outcome.repeated) await syncAfterRun(io, config.sync, run.id, console);
    if (!outcome.repeated) await pushAfterRun(config, io, outcome.report, console);
    if (outcome.repeated) console.logger.log('info', 'repeated_finish', `Run ${run.id} was already finished; this is its stored verdict.`);
    printReport(console, outcome.report, await storedRunSeries(io.store, run.id, config.rules));
    return outcome.report.exit_code;
  } finally {
    await dispose();
  }
}
