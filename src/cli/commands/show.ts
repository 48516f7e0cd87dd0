/** `seqpulse show <id>`: one run in full: settings, deploy, verdict, and each metric's series. */
import { snapshotsFromSamples } from '../../app/snapshots.js';
import { formatNumber } from '../../core/wording.js';
import { isMeasurement } from '../../core/stats/basic.js';
import { renderVerdict } from '../../output/verdict-text.js';
import { createConsole, resolveCommandConfig, withStore } from '../context.js';
import { findRun } from '../find-run.js';
import type { CommandFlags } from '../options.js';

export async function showCommand(id: string, flags: CommandFlags): Promise<number> {
  const console = createConsole(flags);
  const config = await resolveCommandConfig(flags, console);
  const { run, samples, verdict } = await withStore(config, async (store) => {
    const found = await findRun(store, id);
    return { run: found, samples: await store.getSamples(found.id), verdict: await store.getVerdict(found.id) };
  });
  const snaps = snapshotsFromSamples(samples, config.rules);
  const names = [...new Set([...snaps.pre, ...snaps.post].flatMap((s) => Object.keys(s.metrics)))].sort();
  const series = Object.fromEntries(names.map((n) => [n, { pre: snaps.pre.map((s) => s.metrics[n] ?? null), post: snaps.post.map((s) => s.metrics[n] ?? null) }]));
  if (console.json) {
    console.stdout(JSON.stringify({ run, verdict: verdict ?? null, series, samples }, null, 2));
    return 0;
  }
  const c = console.out;
  const lines = [
    c.bold(`Run ${run.id}`),
    `  project/env  ${run.project}/${run.env}`,
    `  status       ${run.status}${run.result ? ` (deploy ${run.result}${run.deploy_exit_code === null ? '' : `, exit ${run.deploy_exit_code}`})` : ''}`,
    `  created      ${run.created_at}`,
    `  deployed     ${run.deployed_at ?? '—'}`,
    `  finished     ${run.finished_at ?? '—'}`,
    `  command      ${run.command ? run.command.join(' ') : '— (start/finish)'}`,
    `  endpoints    ${run.settings.endpoints.join(', ')}`,
    `  sampling     ${run.settings.pre_samples} PRE, every ${run.settings.interval_ms}ms, window ${run.settings.window_ms}ms`,
    `  requests     ${samples.length} (${samples.filter((s) => !s.ok).length} failed)`,
    '',
    c.bold('Series (PRE | POST)'),
    ...names.map((n) => `  ${n.padEnd(20)} ${fmt(series[n]!.pre)} ${c.dim('|')} ${fmt(series[n]!.post)}`),
  ];
  console.stdout(lines.join('\n'));
  if (verdict) console.stdout(renderVerdict(verdict, c));
  return 0;
}

function fmt(values: unknown[]): string {
  if (values.length === 0) return '—';
  return values.map((v) => (isMeasurement(v) ? formatNumber(v) : JSON.stringify(v))).join(' ');
}
