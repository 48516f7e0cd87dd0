/** `seqpulse sync [--to URL]`: push local runs the shared store lacks. Safe to repeat. */
import { QUIET_MS } from '../../app/abandoned.js';
import { conflictMessage, syncTo } from '../../app/sync.js';
import { UsageError } from '../../errors.js';
import { redactError, redactUrl } from '../../redact.js';
import { openStore } from '../../store/open.js';
import { shownLocation, storeLocationIssue } from '../../store/location.js';
import type { AppIO } from '../../app/io.js';
import { createConsole, resolveCommandConfig, withStore, type Console } from '../context.js';
import type { CommandFlags } from '../options.js';

export async function syncCommand(flags: CommandFlags & { to?: string }): Promise<number> {
  const console = createConsole(flags);
  const config = await resolveCommandConfig(flags, console);
  const target = flags.to ?? config.sync;
  if (!target) throw new UsageError('no sync target given', 'Use --to postgres://user:password@host/db, or set SEQPULSE_SYNC or sync: in seqpulse.yml.');
  const issue = flags.to === undefined ? undefined : storeLocationIssue(flags.to);
  if (issue !== undefined) throw new UsageError(`--to ${issue}`, 'Use --to postgres://user:password@host/db, or a SQLite path.');
  const shown = redactUrl(target);
  let local = true;
  const counts = await withStore(
    config,
    console,
    (store) => syncTo(store, target, (location) => openStore(location, { timeoutMs: config.storeTimeoutMs })),
    () => ((local = false), { runs: 0, samples: 0, verdicts: 0, upToDate: 0, settled: 0, conflicts: [] }),
  );
  const { conflicts } = counts;
  if (console.json) {
    // One shape, with a local store or without one.
    const conflicting = conflicts.slice(0, MAX_CONFLICTS_IN_JSON);
    console.stdout(JSON.stringify({ target: shown, pushed: { runs: counts.runs, samples: counts.samples, verdicts: counts.verdicts }, up_to_date: counts.upToDate, settled: counts.settled, conflicts: conflicts.length, conflicting }));
  }
  if (!local) {
    if (!console.json && !console.quiet) console.stdout(`Nothing to push: there is no local store at ${shownLocation(config.store)}.`);
    return 0;
  }
  // A warning, exit 0: everything else is pushed, and running sync again cannot change what another
  // writer put in the target (SPEC §7 has no code for it); --json says it for automation to act on.
  if (conflicts.length > 0) console.logger.log('warn', 'sync_conflicts', conflictMessage(shown, conflicts), { conflicts: conflicts.length });
  if (console.json) return 0;
  if (!console.quiet) {
    const settled = counts.settled > 0 ? ` ${counts.settled} runs there that nobody will conclude (no news for ${QUIET_MS / 3_600_000} hours past their planned end) marked abandoned.` : '';
    const conflicting = conflicts.length > 0 ? `; ${conflicts.length} runs in conflict, left as they are` : '';
    console.stdout(`Synced to ${shown}: ${counts.runs} runs, ${counts.samples} samples, ${counts.verdicts} verdicts pushed; ${counts.upToDate} runs already up to date${conflicting}.${settled}`);
  }
  return 0;
}

/** Conflicts listed whole in `--json` (with their count beside them): a store of copied runs must not make megabytes of JSON. */
const MAX_CONFLICTS_IN_JSON = 1000;

/**
 * After run/start/finish with --sync: the verdict is stored locally, now push this run, within
 * sync_timeout (see app/shared.ts). A failure is a warning (run `seqpulse sync` later); it never
 * changes the exit code.
 */
export async function syncAfterRun(io: Pick<AppIO, 'store' | 'shared'>, target: string | undefined, runId: string, console: Console): Promise<void> {
  if (!target || !io.shared) return;
  const shown = redactUrl(target);
  try {
    const counts = await io.shared.push(io.store, runId);
    if (counts.conflicts.length > 0) console.logger.log('warn', 'sync_conflicts', conflictMessage(shown, counts.conflicts), { deployment_id: runId });
    else console.logger.log('info', 'synced', `Synced run ${runId} to ${shown} (${counts.samples} samples).`, { deployment_id: runId });
  } catch (err) {
    const reason = redactError(err, target);
    console.logger.log('warn', 'sync_failed', `Could not sync run ${runId} to ${shown}: ${reason}. The run is complete locally; push it later with \`seqpulse sync\`.`, { deployment_id: runId });
  }
}
