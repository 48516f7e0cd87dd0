/** The human verdict: a headline in colour, the per-metric table, details, hints and sample counts. Pure. */
import Table from 'cli-table3';
import type { MetricResult, VerdictReport } from '../core/types.js';
import { deployEnding, earlyExitNote, formatConfidence, formatNumber, formatPct, formatThreshold } from '../core/wording.js';
import type { Colors } from './colors.js';
import { displayableReport, NAME_WIDTH, shorten } from './terminal.js';
import { statusLabel } from './words.js';

export function renderVerdict(shown: VerdictReport, c: Colors): string {
  // A stored report may come from a shared store, its metric names from the app: nothing of it is laid out unescaped.
  const report = displayableReport(shown);
  const lines: string[] = [''];
  const confidence = report.verdict === null ? '' : `  ${c.dim(`confidence ${formatConfidence(report.confidence)}`)}`;
  lines.push(`${headline(report, c)}${confidence}`);
  lines.push(`  ${report.summary}`);
  lines.push(c.dim(`  ${report.project}/${report.env} · deployment ${report.deployment_id}`));
  if (report.metrics.length > 0) lines.push('', metricTable(report.metrics, c));
  if (report.details.length > 0) lines.push('', ...report.details.map((d) => `  • ${d}`));
  if (report.hints.length > 0) {
    lines.push('', c.bold('  Hints'));
    for (const h of report.hints) {
      const tag = h.severity === 'critical' ? c.red(h.severity) : h.severity === 'warning' ? c.yellow(h.severity) : c.cyan(h.severity);
      lines.push(`  [${tag}] ${c.bold(h.code)}: ${h.message}`);
    }
  }
  const s = report.samples;
  const ending = deployEnding(report);
  const deploy = report.result === null ? '' : ` · deploy ${report.result}${ending ? ` (${ending})` : ''}`;
  lines.push('', c.dim(`  samples: ${s.pre} ${report.baseline ? `baseline (POST of ${report.baseline.runs.length} earlier good runs)` : 'PRE'}, ${s.post} POST, ${s.failed} failed${deploy}`));
  if (report.early_exit) lines.push(c.dim(`  ${earlyExitNote(report.verdict, report.early_exit)}`));
  if (report.dry_run) lines.push(c.yellow(`  dry run: this verdict would exit ${report.dry_run.exit_code}; exiting ${report.exit_code}`));
  lines.push('');
  return lines.join('\n');
}

function headline(report: VerdictReport, c: Colors): string {
  if (report.status === 'interrupted') return c.bold(c.yellow('INTERRUPTED'));
  if (report.status === 'deploy_failed') return c.bold(c.red('DEPLOY FAILED'));
  switch (report.verdict) {
    case 'ok':
      return c.bold(c.green('✔ OK'));
    case 'attention':
      return c.bold(c.yellow('▲ ATTENTION'));
    case 'rollback_recommended':
      return c.bold(c.red('✖ ROLLBACK RECOMMENDED'));
    case null:
      return c.bold(c.magenta('? NO VERDICT'));
  }
}

function metricTable(metrics: readonly MetricResult[], c: Colors): string {
  const table = new Table({
    head: ['metric', 'PRE', 'POST', 'change', 'threshold', 'status'],
    style: { head: [], border: [], compact: true },
    colAligns: ['left', 'right', 'right', 'right', 'right', 'left'],
  });
  for (const m of metrics) {
    table.push([
      shorten(m.name, NAME_WIDTH),
      m.baseline === null ? '—' : formatNumber(m.baseline),
      m.current === null ? '—' : formatNumber(m.current),
      m.change_pct === null ? '—' : formatPct(m.change_pct),
      formatThreshold(m.direction, m.threshold_pct),
      status(m, c),
    ]);
  }
  return table.toString().split('\n').map((l) => `  ${l}`).join('\n');
}

function status(m: MetricResult, c: Colors): string {
  switch (m.status) {
    case 'regression':
      return c.red('regression');
    case 'warning':
      return c.yellow(statusLabel(m.status));
    case 'improvement':
      return c.green('improvement');
    case 'ok':
      return c.green('ok');
    default:
      return c.magenta(statusLabel(m.status));
  }
}
