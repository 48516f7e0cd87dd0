/** `seqpulse prune --older-than 30d`: retention, in batches; says what it deleted. */
import { pruneBefore } from '../../app/prune.js';
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
  const deleted = await withStore(config, console, (store) => pruneBefore(store, before, where), () => ({ runs: 0, samples: 0 }), { write: true });
  if (console.json) console.stdout(JSON.stringify({ before, deleted }));
  else if (!console.quiet) console.stdout(`Deleted ${deleted.runs} runs created before ${before}, with ${deleted.samples} samples and their verdicts, from ${where}.`);
  return 0;
}
