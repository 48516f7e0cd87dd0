/** `seqpulse sync [--to URL]`: push local runs the shared store lacks. Safe to repeat. */
import { syncStores, type SyncCounts } from '../../app/sync.js';
import { SeqpulseError, StoreError, UsageError } from '../../errors.js';
import { redactError, redactUserinfo } from '../../redact.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/types.js';
import { createConsole, resolveCommandConfig, withStore, type Console } from '../context.js';
import type { CommandFlags } from '../options.js';

export async function syncCommand(flags: CommandFlags & { to?: string }): Promise<number> {
  const console = createConsole(flags);
  const config = await resolveCommandConfig(flags, console);
  const target = flags.to ?? config.sync;
  if (!target) throw new UsageError('no sync target given', 'Use --to postgres://user:password@host/db, or set SEQPULSE_SYNC or sync: in seqpulse.yml.');
  const counts = await withStore(config, console, (local) => pushTo(local, target));
  const shown = redactUserinfo(target);
  if (console.json) console.stdout(JSON.stringify({ target: shown, pushed: { runs: counts.runs, samples: counts.samples, verdicts: counts.verdicts }, up_to_date: counts.upToDate }));
  else console.stdout(`Synced to ${shown}: ${counts.runs} runs, ${counts.samples} samples, ${counts.verdicts} verdicts pushed; ${counts.upToDate} runs already up to date.`);
  return 0;
}

async function pushTo(local: Store, target: string, only?: readonly string[]): Promise<SyncCounts> {
  const remote = await openStore(target);
  try {
    return await syncStores(local, remote, only);
  } catch (err) {
    if (err instanceof SeqpulseError) throw err;
    // The connection went away half-way (server stopped, network cut): every page written so far
    // is committed and the local store is untouched, so the next sync simply finishes the job.
    const shown = redactUserinfo(target);
    const reason = redactError(err, target);
    throw new StoreError(`sync to ${shown} stopped half-way (${reason})`, err, 'Nothing local was lost and nothing pushed is duplicated: run `seqpulse sync` again once the store is back.');
  } finally {
    await remote.close().catch(() => undefined);
  }
}

/**
 * After run/start/finish with --sync: the local write is complete, now push this run. A failure is
 * a warning (run `seqpulse sync` later); it never changes the exit code.
 */
export async function syncAfterRun(local: Store, target: string | undefined, runId: string, console: Console): Promise<void> {
  if (!target) return;
  const shown = redactUserinfo(target);
  try {
    const counts = await pushTo(local, target, [runId]);
    console.logger.log('info', 'synced', `Synced run ${runId} to ${shown} (${counts.samples} samples).`, { deployment_id: runId });
  } catch (err) {
    const reason = redactError(err, target);
    console.logger.log('warn', 'sync_failed', `Could not sync run ${runId} to ${shown}: ${reason}. The run is complete locally; push it later with \`seqpulse sync\`.`, { deployment_id: runId });
  }
}
