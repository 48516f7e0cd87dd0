/** `seqpulse history`: runs with their verdicts, newest first. */
import Table from 'cli-table3';
import { isoBefore, isoTimestamp, parseDuration } from '../../config/duration.js';
import type { Verdict } from '../../core/types.js';
import { UsageError } from '../../errors.js';
import { createConsole, resolveCommandConfig, withStore } from '../context.js';
import { wholeNumberFlag, type CommandFlags } from '../options.js';
import { displayable } from '../../output/terminal.js';
import { optionName } from '../../config/names.js';
import { formatConfidence } from '../../core/wording.js';
import { shownLocation } from '../../store/location.js';

const VERDICTS = ['ok', 'attention', 'rollback_recommended'];
/** Past what anyone reads, and well inside what SQL's LIMIT takes (a float past 2^63 is a datatype mismatch there). */
const MAX_LIMIT = 100_000;

export async function historyCommand(flags: CommandFlags & { verdict?: string; since?: string; limit?: string }): Promise<number> {
  const console = createConsole(flags);
  if (flags.verdict !== undefined && !VERDICTS.includes(flags.verdict)) throw new UsageError(`--verdict must be one of ${VERDICTS.join(', ')}`);
  const limit = flags.limit === undefined ? 50 : wholeNumberFlag('--limit', flags.limit, 1, MAX_LIMIT);
  const since = flags.since === undefined ? undefined : sinceToIso(flags.since);
  // Filters come from flags only: a project/env in seqpulse.yml should not hide other runs of the store.
  const config = await resolveCommandConfig({ ...flags, project: undefined, env: undefined }, console);
  const where = shownLocation(config.store);
  let exists = true;
  const runs = await withStore(
    config,
    console,
    (store) => store.listRuns({ project: flags.project, env: flags.env, verdict: flags.verdict as Verdict | undefined, since, limit }),
    () => ((exists = false), []),
  );
  if (console.json) {
    if (!exists) console.logger.log('info', 'no_store', `There is no store at ${where}: no run was kept there.`);
    console.stdout(JSON.stringify(runs, null, 2));
    return 0;
  }
  // For scripts: the ids alone (`for id in $(seqpulse history --quiet --verdict rollback_recommended)`).
  if (console.quiet) {
    if (runs.length > 0) console.stdout(runs.map((r) => r.id).join('\n'));
    return 0;
  }
  if (!exists) {
    console.stdout(`No runs: there is no store at ${where} (nothing was run from here yet, or the runs are elsewhere: ${optionName('store')}).`);
    return 0;
  }
  if (runs.length === 0) {
    console.stdout(`No runs found in ${where}${flags.project || flags.env || flags.verdict || since ? ' with these filters' : ''}.`);
    return 0;
  }
  const c = console.out;
  const table = new Table({ head: ['id', 'created', 'project', 'env', 'status', 'verdict', 'confidence'], style: { head: [], border: [], compact: true } });
  // Project, env and status may come from a shared store anyone can write to.
  for (const r of displayable(runs)) {
    const verdict = r.verdict === 'ok' ? c.green(r.verdict) : r.verdict === 'attention' ? c.yellow(r.verdict) : r.verdict ? c.red(r.verdict) : c.dim('—');
    table.push([r.id.slice(0, 8), r.created_at.replace('T', ' ').slice(0, 19), r.project, r.env, r.status, verdict, r.confidence === null ? '—' : formatConfidence(r.confidence)]);
  }
  console.stdout(table.toString());
  console.stdout(c.dim(`${runs.length} run(s) from ${where}${runs.length === limit ? ` (the newest ${limit}; --limit for more)` : ''}`));
  return 0;
}

/** `--since` takes an ISO date or a time back from now: a duration (24h) or days (7d). */
function sinceToIso(value: string): string {
  const back = parseDuration(value);
  if (back.ok) return isoBefore(back.ms);
  // ISO 8601 only: Date.parse also reads "March 7" (in 2001).
  const date = Date.parse(isoTimestamp(value) ?? '');
  if (Number.isNaN(date)) throw new UsageError(`--since must be a date (2026-01-18) or a duration back from now (24h, 7d), not "${value}"`);
  return new Date(date).toISOString();
}
