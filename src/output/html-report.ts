/**
 * `seqpulse report <id> --format html`: one self-contained file (no script, no network) to attach
 * to a postmortem or a channel. The verdict and why, the hints, the per-metric table, and a chart
 * per judged metric (chart.ts: time from the deploy, units, settle samples, baseline and the
 * allowed range), as inline SVG. Light and dark from the reader's setting; prints on white.
 */
import { deployEnding, earlyExitNote, formatConfidence, formatNumber, formatPct, formatThreshold } from '../core/wording.js';
import type { MetricResult, VerdictReport } from '../core/types.js';
import type { RunRecord } from '../store/types.js';
import { metricChart } from './chart.js';
import { esc } from './html-escape.js';
import type { RunSeries } from './series.js';
import { MAX_SENTENCE } from './terminal.js';
import { lookup, statusLabel } from './words.js';

const VERDICT_LABEL: Record<string, string> = { ok: 'OK', attention: 'ATTENTION', rollback_recommended: 'ROLLBACK RECOMMENDED' };

export function renderHtmlReport(report: VerdictReport, run: RunRecord, series: RunSeries): string {
  const verdict = report.verdict ?? 'none';
  const label = `${lookup(VERDICT_LABEL, verdict) ?? 'NO VERDICT'}${report.dry_run ? ' (DRY RUN)' : ''}`;
  const title = `seqpulse ${report.project}/${report.env}: ${label}`;
  const deployedAt = run.deployed_at ? Date.parse(run.deployed_at) : Number.NaN;
  const dryRun = report.dry_run ? ` · dry run: this verdict would exit ${report.dry_run.exit_code}; it exited ${report.exit_code}` : '';
  const ending = deployEnding(run);
  const early = report.early_exit ? ` · ${earlyExitNote(report.verdict, report.early_exit)}` : '';
  const charts = report.metrics.map((m) => metricChart({ metric: m, series: series.byMetric[m.name], times: series.times, deployedAt: Number.isNaN(deployedAt) ? null : deployedAt }));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="verdict ${esc(verdict)}" id="verdict">
  <div class="badge">${esc(label)}</div>
  <h1>${esc(report.summary, MAX_SENTENCE)}</h1>
  <p class="meta">${esc(report.project)}/${esc(report.env)} · deployment <code>${esc(report.deployment_id)}</code>${report.verdict === null ? '' : ` · confidence ${formatConfidence(report.confidence)}`} · ${esc(run.status)}${run.result ? ` (deploy ${esc(run.result)}${ending ? `, ${esc(ending)}` : ''})` : ''}</p>
  <p class="meta">started ${esc(run.created_at)} · deployed ${esc(run.deployed_at ?? '—')} · finished ${esc(run.finished_at ?? '—')} · samples ${report.samples.pre} PRE, ${report.samples.post} POST, ${report.samples.failed} failed${esc(early)}${esc(dryRun)}</p>
  ${run.command ? `<p class="meta">command <code>${esc(run.command.join(' '))}</code></p>` : ''}
</header>
<main>
${report.details.length > 0 ? `<section><h2>Why</h2><ul class="details">${report.details.map((d) => `<li>${esc(d, MAX_SENTENCE)}</li>`).join('')}</ul></section>` : ''}
${report.hints.length > 0 ? `<section><h2>Hints</h2><ul class="hints">${report.hints.map((h) => `<li class="${esc(h.severity)}"><code>${esc(h.code)}</code> ${esc(h.message, MAX_SENTENCE)}</li>`).join('')}</ul></section>` : ''}
<section><h2>Metrics</h2>
<table id="metrics"><thead><tr><th>metric</th><th>PRE</th><th>POST</th><th>change</th><th>threshold</th><th>status</th><th>test</th></tr></thead>
<tbody>${report.metrics.map(row).join('\n')}</tbody></table>
<p class="note">PRE: the baseline (median before the deploy); POST: the median after the settle period. A metric shown as <em>attention</em> raises attention (status <code>warning</code> in the JSON).</p>
</section>
<section><h2>Series</h2>
<p class="legend"><span class="key pre"></span> PRE samples <span class="key post"></span> POST samples <span class="key settling"></span> settle (not judged) <span class="key baseline"></span> baseline <span class="key current"></span> POST median <span class="key allowed"></span> allowed range (no regression inside it) <span class="key deploy"></span> deploy</p>
<div class="charts">${charts.join('\n')}</div>
</section>
</main>
<footer>seqpulse · generated from the stored run; the numbers are the ones the verdict used.</footer>
</body>
</html>
`;
}

function row(m: MetricResult): string {
  return `<tr class="${esc(m.status)}"><td>${esc(m.name)}</td><td class="num">${value(m.baseline)}</td><td class="num">${value(m.current)}</td><td class="num">${m.change_pct === null ? '—' : esc(formatPct(m.change_pct))}</td><td class="num">${esc(formatThreshold(m.direction, m.threshold_pct))}</td><td><span class="status">${esc(statusLabel(m.status))}</span></td><td>${esc(testLabel(m))}</td></tr>`;
}

/** The test behind the status, and for a count test whether its counts were counted or estimated. */
function testLabel(m: MetricResult): string {
  const e = m.evidence;
  if (e.test === 'none') return e.untestable && m.status !== 'no_data' && m.status !== 'no_baseline' ? 'thresholds only (too few samples to test)' : '—';
  const counts = e.counts ? `, ${e.counts.estimated ? 'estimated' : 'counted'} counts` : '';
  return `${e.test} test, p=${e.p_value ?? '—'}${counts}`;
}

function value(v: number | null): string {
  return v === null ? '—' : esc(formatNumber(v));
}

const STYLE = `
:root { --bg: #ffffff; --fg: #1b1f24; --muted: #5b636e; --line: #d7dce2; --grid: #eaeef2; --pre: #6e7781; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --allowed: rgba(9, 105, 218, 0.07); --allowed-edge: rgba(9, 105, 218, 0.55); --settle: rgba(110, 119, 129, 0.13); --card: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --grid: #21262d; --pre: #9198a1; --ok: #3fb950; --warn: #d29922; --bad: #f85149; --allowed: rgba(56, 139, 253, 0.1); --allowed-edge: rgba(88, 166, 255, 0.6); --settle: rgba(145, 152, 161, 0.16); --card: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1080px; padding: 24px; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.92em; }
header.verdict { border-left: 6px solid var(--muted); padding: 8px 16px; background: var(--card); border-radius: 6px; }
header.ok { border-color: var(--ok); } header.attention { border-color: var(--warn); } header.rollback_recommended { border-color: var(--bad); }
.badge { font-weight: 700; letter-spacing: 0.04em; }
header.ok .badge { color: var(--ok); } header.attention .badge { color: var(--warn); } header.rollback_recommended .badge { color: var(--bad); }
h1 { font-size: 1.3em; margin: 4px 0; } h2 { font-size: 1.1em; margin: 24px 0 8px; }
.meta, .note { color: var(--muted); margin: 2px 0; font-size: 0.9em; } .note { margin-top: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.regression .status, figure.regression .status { color: var(--bad); font-weight: 600; }
tr.warning .status, figure.warning .status, tr.no_data .status, tr.no_baseline .status, figure.no_data .status { color: var(--warn); font-weight: 600; }
tr.ok .status, tr.improvement .status, figure.ok .status, figure.improvement .status { color: var(--ok); }
.hints li.critical { color: var(--bad); } .hints li.warning { color: var(--warn); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 16px; }
figure.chart { margin: 0; padding: 8px; background: var(--card); border-radius: 6px; break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: 4px; } figcaption .unit { font-weight: 400; color: var(--muted); font-size: 0.85em; margin-left: 6px; }
svg { display: block; overflow: visible; }
svg polyline { fill: none; stroke-width: 1.8; } svg circle { stroke: none; }
.pre polyline { stroke: var(--pre); } .pre circle { fill: var(--pre); }
.post polyline { stroke: var(--ok); } .post circle { fill: var(--ok); }
.regression .post polyline { stroke: var(--bad); } .regression .post circle { fill: var(--bad); }
.warning .post polyline, .no_data .post polyline { stroke: var(--warn); } .warning .post circle { fill: var(--warn); }
svg circle.settling { fill: var(--card); stroke: var(--muted); stroke-width: 1.2; }
.allowed { fill: var(--allowed); } .allowed-edge { stroke: var(--allowed-edge); stroke-dasharray: 6 3; stroke-width: 1; }
.settle { fill: var(--settle); }
.baseline { stroke: var(--muted); stroke-dasharray: 4 3; } .current { stroke: var(--fg); stroke-width: 1; opacity: 0.6; }
.deploy { stroke: var(--fg); stroke-dasharray: 2 3; } .axis { stroke: var(--line); } .grid { stroke: var(--grid); } .xtick { stroke: var(--line); }
.tick, .label, .axis-title { fill: var(--muted); font-size: 11px; } .label { font-size: 10.5px; paint-order: stroke; stroke: var(--card); stroke-width: 3px; stroke-linejoin: round; } .deploy-label { fill: var(--fg); } .allowed-label { fill: var(--allowed-edge); }
.legend { color: var(--muted); font-size: 0.9em; line-height: 2; }
.key { display: inline-block; width: 14px; height: 4px; margin: 0 4px 2px 10px; vertical-align: middle; }
.key.pre { background: var(--pre); } .key.post { background: var(--ok); } .key.deploy { border-top: 2px dashed var(--fg); height: 0; }
.key.allowed { background: var(--allowed); border-top: 1px dashed var(--allowed-edge); height: 10px; } .key.settling { background: var(--settle); height: 10px; }
.key.baseline { border-top: 2px dashed var(--muted); height: 0; } .key.current { border-top: 1px solid var(--fg); height: 0; opacity: 0.6; }
footer { margin-top: 32px; color: var(--muted); font-size: 0.85em; }
@media print { :root { --bg: #fff; --fg: #000; --card: #fff; } body { max-width: none; padding: 0; } .charts { grid-template-columns: 1fr 1fr; } }
`;
