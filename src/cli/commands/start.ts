/** `seqpulse start`: PRE samples, then print the deployment id for `finish`. */
import { interruptedAfterStart, startRun } from '../../app/cycle.js';
import { requireCollection } from '../../sources/factory.js';
import { createAppIO, createConsole, resolveCommandConfig } from '../context.js';
import type { CommandFlags } from '../options.js';
import { printReport } from '../print.js';
import { syncAfterRun } from './sync.js';

export async function startCommand(flags: CommandFlags): Promise<number> {
  const console = createConsole(flags);
  const config = await resolveCommandConfig(flags, console);
  requireCollection(config);
  const { io, dispose } = await createAppIO(config, console);
  try {
    const outcome = await startRun(config, io);
    if (outcome.kind === 'report') {
      printReport(console, outcome.report);
      return outcome.report.exit_code;
    }
    const id = outcome.run.id;
    await syncAfterRun(io, config.sync, id, console);
    const stopped = await interruptedAfterStart(config, outcome.run, io);
    if (stopped) {
      printReport(console, stopped);
      return stopped.exit_code;
    }
    if (console.json) console.stdout(JSON.stringify({ deployment_id: id }));
    else console.stdout(id);
    if (!console.json && !console.quiet) console.logger.log('info', 'started', `Deploy now, then run: seqpulse finish ${id}`, { deployment_id: id });
    return 0;
  } finally {
    await dispose();
  }
}
