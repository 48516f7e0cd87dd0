/** `seqpulse show <id>`: one run in full: settings, deploy, verdict, and each metric's series. */
import { runSeries } from '../../app/series.js';
import { renderSparklines } from '../../output/sparkline.js';
import { formatDuration } from '../../config/duration.js';
import { deployEnding, formatNumber } from '../../core/wording.js';
import { isMeasurement } from '../../core/stats/basic.js';
import { renderVerdict } from '../../output/verdict-text.js';
import { createConsole, noStore, resolveCommandConfig, withStore } from '../context.js';
import { quietWord } from '../print.js';
import { findRun } from '../../app/find-run.js';
import { shownLocation } from '../../store/location.js';
import type { CommandFlags } from '../options.js';
import { displayable, forDisplay, NAME_WIDTH } from '../../output/terminal.js';
import { withoutMac } from '../../app/settings-mac.js';

export async function showCommand(id: string, flags: CommandFlags): Promise<number> {
  const console = createConsole(flags);
  const config = await resolveCommandConfig(flags, console);
  const { run: found, samples, verdict } = await withStore(config, console, async (store) => {
    const found = await findRun(store, id, shownLocation(config.store));
    return { run: found, samples: await store.getSamples(found.id), verdict: await store.getVerdict(found.id) };
  }, (where) => noStore(where, `no run with id ${id}`));
  const series = runSeries(samples, config.rules);
  if (console.json) {
    console.stdout(JSON.stringify({ run: { ...found, settings: withoutMac(found.settings) }, verdict: verdict ?? null, series: series.byMetric, samples }, null, 2));
    return 0;
  }
  if (console.quiet) {
    console.stdout(verdict ? quietWord(verdict.verdict, verdict.status) : found.status);
    return 0;
  }
  const c = console.out;
  // The run may come from a shared store and its metrics from the app: laid out escaped and shortened.
  const run = displayable(found);
  // The judged metrics first, then what else the app reported, as many as a screen holds: an app
  // may report thousands of names (40,000 had made 80,000 lines). `--json` has them all.
  const judged = new Set((verdict?.metrics ?? []).map((m) => m.name));
  const names = [...series.names.filter((n) => judged.has(n)), ...series.names.filter((n) => !judged.has(n))];
  const shownNames = names.slice(0, SHOWN_METRICS);
  const more = names.length - shownNames.length;
  const ending = deployEnding(run);
  const lines = [
    c.bold(`Run ${run.id}`),
    `  project/env  ${run.project}/${run.env}`,
    `  status       ${run.status}${run.result ? ` (deploy ${run.result}${ending ? `, ${ending}` : ''})` : ''}`,
    `  created      ${run.created_at}`,
    `  deployed     ${run.deployed_at ?? '—'}`,
    `  finished     ${run.finished_at ?? '—'}`,
    `  command      ${run.command ? run.command.join(' ') : '— (start/finish)'}`,
    `  endpoints    ${run.settings.endpoints.join(', ')}`,
    `  sampling     ${run.settings.pre_samples} PRE, every ${formatDuration(run.settings.interval_ms)}, window ${formatDuration(run.settings.window_ms)}`,
    `  requests     ${samples.length} (${samples.filter((s) => !s.ok).length} failed)`,
    `  store        ${shownLocation(config.store)}`,
    '',
    c.bold('Series'),
    renderSparklines(shownNames, series, c.dim, verdict?.metrics ?? []),
    ...shownNames.map((n) => `  ${forDisplay(n, NAME_WIDTH).padEnd(20)} ${fmt(series.byMetric[n]!.pre)} ${c.dim('|')} ${fmt(series.byMetric[n]!.post)}`),
    ...(more > 0 ? [c.dim(`  … and ${more} more metric${more === 1 ? '' : 's'} the app reported (seqpulse show ${run.id} --json lists them all)`)] : []),
  ];
  console.stdout(lines.join('\n'));
  if (verdict) console.stdout(renderVerdict(verdict, c));
  return 0;
}

/** The values themselves, the first ones when there are many (`--json` has them all). */
function fmt(values: unknown[]): string {
  if (values.length === 0) return '—';
  const shown = values.slice(0, SHOWN).map((v) => (isMeasurement(v) ? formatNumber(v) : forDisplay(JSON.stringify(v) ?? String(v), VALUE_WIDTH)));
  return values.length > SHOWN ? `${shown.join(' ')} … (${values.length - SHOWN} more)` : shown.join(' ');
}

const SHOWN = 12;
/** Metrics drawn and listed at most. */
const SHOWN_METRICS = 60;
/** A value that is not a number (a string the app reported...) is shown this long at most. */
const VALUE_WIDTH = 40;
