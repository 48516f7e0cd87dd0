/**
 * The verdict as GitHub-flavoured Markdown: `report --format md`, the Action's job summary and its
 * PR comment. Readable at a glance (headline, why, the metrics that moved first) and bounded in size:
 * GitHub caps a step summary at 1 MiB and a comment at 65,536 characters. Pure.
 */
import type { MetricResult, VerdictReport } from '../core/types.js';
import { formatNumber, formatPct } from '../core/wording.js';
import { forDisplay, NAME_WIDTH } from './terminal.js';

export interface MarkdownOptions {
  /** Hard cap on the document's length; the metric table is cut first, with a note saying so. */
  maxChars?: number;
  /** Heading level of the title (1 = `#`). */
  level?: number;
}

/** Comment bodies are capped at 65,536 characters by GitHub; keep room for the marker. */
export const COMMENT_LIMIT = 60_000;

const ORDER: Record<string, number> = { regression: 0, warning: 1, no_data: 2, no_baseline: 3, improvement: 4, ok: 5 };

export function renderMarkdown(report: VerdictReport, opts: MarkdownOptions = {}): string {
  const h = '#'.repeat(opts.level ?? 2);
  const head: string[] = [];
  head.push(`${h} ${headline(report)} · ${escapeText(report.project)}/${escapeText(report.env)}`, '');
  const confidence = report.verdict === null ? '' : ` (confidence ${report.confidence.toFixed(2)})`;
  head.push(`**${escapeText(report.summary)}**${confidence}`, '');
  if (report.details.length > 0) head.push(...report.details.map((d) => `- ${escapeText(d)}`), '');
  if (report.hints.length > 0) {
    head.push(`${h}# Hints`, '');
    head.push(...report.hints.map((x) => `- ${HINT_ICON[x.severity] ?? ''} **${x.code}** (${x.severity}): ${escapeText(x.message)}`), '');
  }
  const tail = [footer(report), ''];
  const metrics = [...report.metrics].sort((a, b) => (ORDER[a.status] ?? 9) - (ORDER[b.status] ?? 9));
  if (metrics.length === 0) return [...head, ...tail].join('\n');

  const budget = (opts.maxChars ?? Number.POSITIVE_INFINITY) - [...head, ...tail].join('\n').length - 200;
  const rows: string[] = [];
  let used = 0;
  for (const m of metrics) {
    const row = metricRow(m);
    if (used + row.length + 1 > budget) break;
    rows.push(row);
    used += row.length + 1;
  }
  const table = [`${h}# Metrics`, '', '| metric | PRE | POST | change | threshold | status |', '|---|--:|--:|--:|--:|---|', ...rows];
  if (rows.length < metrics.length) table.push('', `_${metrics.length - rows.length} more metrics not shown (size limit); the full report is in the JSON report._`);
  return [...head, ...table, '', ...tail].join('\n');
}

const HINT_ICON: Record<string, string> = { critical: '🔴', warning: '🟠', info: 'ℹ️' };

function headline(report: VerdictReport): string {
  if (report.status === 'interrupted') return '⏹️ Interrupted';
  if (report.status === 'deploy_failed') return '❌ Deploy failed';
  switch (report.verdict) {
    case 'ok':
      return '✅ OK';
    case 'attention':
      return '⚠️ Attention';
    case 'rollback_recommended':
      return '🛑 Rollback recommended';
    case null:
      return '❔ No verdict';
  }
}

function metricRow(m: MetricResult): string {
  const sign = m.direction === 'decrease' ? '−' : m.direction === 'both' ? '±' : '+';
  const cells = [
    `\`${escapeCell(m.name)}\``,
    m.baseline === null ? '—' : formatNumber(m.baseline),
    m.current === null ? '—' : formatNumber(m.current),
    m.change_pct === null ? '—' : formatPct(m.change_pct),
    `${sign}${m.threshold_pct}%`,
    STATUS[m.status] ?? m.status.replace('_', ' '),
  ];
  return `| ${cells.join(' | ')} |`;
}

const STATUS: Record<string, string> = { regression: '🔴 regression', warning: '🟠 warning', improvement: '🟢 improvement', ok: 'ok' };

function footer(report: VerdictReport): string {
  const s = report.samples;
  const parts = [`samples: ${s.pre} ${report.baseline ? `baseline (POST of ${report.baseline.runs.length} earlier good runs)` : 'PRE'}, ${s.post} POST, ${s.failed} failed`];
  if (report.result !== null) parts.push(`deploy ${report.result}${report.deploy_exit_code === null ? '' : ` (exit ${report.deploy_exit_code})`}`);
  if (report.early_exit) parts.push(`decided early after ${report.early_exit.after_samples} of ${report.early_exit.planned_samples} POST samples`);
  if (report.dry_run) parts.push(`dry run: would exit ${report.dry_run.exit_code}`);
  parts.push(`deployment \`${report.deployment_id}\``);
  return `<sub>${parts.join(' · ')} · seqpulse</sub>`;
}

/** Text from the app or the config (metric names, messages) must not become Markdown or HTML. */
/** Control characters shown escaped and long values shortened (terminal.ts), then Markdown's markup escaped. */
function escapeText(text: string): string {
  return forDisplay(text).replace(/[\\`*_[\]<>|#]/g, (ch) => `\\${ch}`);
}

function escapeCell(text: string): string {
  return forDisplay(text, NAME_WIDTH).replace(/[`|\\]/g, (ch) => (ch === '`' ? "'" : `\\${ch}`));
}
