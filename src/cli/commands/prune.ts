/** `seqpulse prune --older-than 30d`: retention, in batches; says what it deleted. */
import { pruneBefore, unknownAgeMessage } from '../../app/prune.js';
import { isoBefore, parseDuration } from '../../config/duration.js';
import { UsageError } from '../../errors.js';
import { createConsole, resolveCommandConfig, withStore } from '../context.js';
import type { CommandFlags } from '../options.js';
import { shownLocation } from '../../store/location.js';

export async function pruneCommand(flags: CommandFlags & { olderThan?: string }): Promise<number> {
  const console = createConsole(flags);
  if (!flags.olderThan) throw new UsageError('prune needs --older-than', 'e.g. `seqpulse prune --older-than 30d`');
  const age = parseDuration(flags.olderThan);
  if (!age.ok || age.ms <= 0) throw new UsageError(`--older-than: ${age.ok ? 'must be more than 0' : age.reason}`);
  const config = await resolveCommandConfig(flags, console);
  const before = isoBefore(age.ms);
  const where = shownLocation(config.store);
  // Nothing to delete where there is no store: none is created for it.
  const pruned = await withStore(config, console, (store) => pruneBefore(store, before, where), () => ({ runs: 0, samples: 0, unknownAge: { total: 0, runs: [] } }), { write: true });
  const { unknownAge, ...deleted } = pruned;
  // A warning, exit 0: every run whose age is known was pruned, and the others are kept, the safe side.
  if (unknownAge.total > 0) console.logger.log('warn', 'prune_unknown_age', unknownAgeMessage(where, unknownAge), { runs: unknownAge.total });
  if (console.json) console.stdout(JSON.stringify({ before, deleted, kept_unknown_age: { runs: unknownAge.total, listed: unknownAge.runs } }));
  else if (!console.quiet) {
    const kept = unknownAge.total > 0 ? ` ${unknownAge.total} runs of unknown age kept.` : '';
    console.stdout(`Deleted ${deleted.runs} runs created before ${before}, with ${deleted.samples} samples and their verdicts, from ${where}.${kept}`);
  }
  return 0;
}
