/** `seqpulse verdict <id>`: the stored verdict, with the exit code it gave when it was made. */
import { whyNoVerdict } from '../../app/no-verdict.js';
import { ExitCode, SeqpulseError } from '../../errors.js';
import { createConsole, noStore, resolveCommandConfig, withStore } from '../context.js';
import { findRun } from '../../app/find-run.js';
import { shownLocation } from '../../store/location.js';
import type { CommandFlags } from '../options.js';
import { printReport } from '../print.js';

export async function verdictCommand(id: string, flags: CommandFlags): Promise<number> {
  const console = createConsole(flags);
  const config = await resolveCommandConfig(flags, console);
  const report = await withStore(config, console, async (store) => {
    const run = await findRun(store, id, shownLocation(config.store));
    const stored = await store.getVerdict(run.id);
    if (!stored) {
      const why = whyNoVerdict(run);
      throw new SeqpulseError(`run ${run.id} ${why.reason}`, { exitCode: ExitCode.NoVerdict, code: 'no_verdict', hint: why.hint });
    }
    return stored;
  }, (where) => noStore(where, `no run with id ${id}`));
  printReport(console, report);
  return report.exit_code;
}
