/**
 * `seqpulse report <id> --format html`: one self-contained file (no script, no network) to attach
 * to a postmortem or a channel. The verdict and why, the hints, the per-metric table, and a chart
 * per judged metric: PRE and POST series, the deploy moment, the baseline and the threshold band,
 * as inline SVG. Light and dark from the reader's setting; prints on white.
 */
import { formatNumber, formatPct } from '../core/wording.js';
import type { MetricResult, VerdictReport } from '../core/types.js';
import type { RunRecord } from '../store/types.js';
import { numbers, type MetricSeries, type RunSeries } from './series.js';
import { forDisplay } from './terminal.js';

const VERDICT_LABEL: Record<string, string> = { ok: 'OK', attention: 'ATTENTION', rollback_recommended: 'ROLLBACK RECOMMENDED' };

export function renderHtmlReport(report: VerdictReport, run: RunRecord, series: RunSeries): string {
  const verdict = report.verdict ?? 'none';
  const title = `seqpulse ${report.project}/${report.env}: ${VERDICT_LABEL[verdict] ?? 'NO VERDICT'}`;
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
  <div class="badge">${esc(VERDICT_LABEL[verdict] ?? 'NO VERDICT')}</div>
  <h1>${esc(report.summary)}</h1>
  <p class="meta">${esc(report.project)}/${esc(report.env)} · deployment <code>${esc(report.deployment_id)}</code> · confidence ${Math.round(report.confidence * 100)}% · ${esc(run.status)}${run.result ? ` (deploy ${esc(run.result)})` : ''}</p>
  <p class="meta">started ${esc(run.created_at)} · deployed ${esc(run.deployed_at ?? '—')} · finished ${esc(run.finished_at ?? '—')} · samples ${report.samples.pre} PRE, ${report.samples.post} POST, ${report.samples.failed} failed${report.dry_run ? ' · dry run' : ''}</p>
  ${run.command ? `<p class="meta">command <code>${esc(run.command.join(' '))}</code></p>` : ''}
</header>
<main>
${report.details.length > 0 ? `<section><h2>Why</h2><ul class="details">${report.details.map((d) => `<li>${esc(d)}</li>`).join('')}</ul></section>` : ''}
${report.hints.length > 0 ? `<section><h2>Hints</h2><ul class="hints">${report.hints.map((h) => `<li class="${esc(h.severity)}"><code>${esc(h.code)}</code> ${esc(h.message)}</li>`).join('')}</ul></section>` : ''}
<section><h2>Metrics</h2>
<table id="metrics"><thead><tr><th>metric</th><th>PRE</th><th>POST</th><th>change</th><th>threshold</th><th>status</th><th>test</th></tr></thead>
<tbody>${report.metrics.map(row).join('\n')}</tbody></table>
</section>
<section><h2>Series</h2>
<p class="legend"><span class="key pre"></span> PRE <span class="key post"></span> POST <span class="key band"></span> threshold band <span class="key deploy"></span> deploy</p>
<div class="charts">${report.metrics.map((m) => chart(m, series.byMetric[m.name])).join('\n')}</div>
</section>
</main>
<footer>seqpulse · generated from the stored run; the numbers are the ones the verdict used.</footer>
</body>
</html>
`;
}

function row(m: MetricResult): string {
  const sign = m.direction === 'decrease' ? '−' : m.direction === 'both' ? '±' : '+';
  const test = m.evidence.test === 'none' ? '—' : `${m.evidence.test === 'rate' ? 'binomial' : 'rank-sum'}, p=${m.evidence.p_value ?? '—'}`;
  return `<tr class="${esc(m.status)}"><td>${esc(m.name)}</td><td class="num">${value(m.baseline)}</td><td class="num">${value(m.current)}</td><td class="num">${m.change_pct === null ? '—' : esc(formatPct(m.change_pct))}</td><td class="num">${sign}${m.threshold_pct}%</td><td><span class="status">${esc(m.status.replace('_', ' '))}</span></td><td>${esc(test)}</td></tr>`;
}

const W = 640;
const H = 170;
const PAD = { left: 56, right: 12, top: 12, bottom: 22 };

/** PRE then POST along x (a gap between them for the deploy), values along y. */
function chart(m: MetricResult, raw: MetricSeries | undefined): string {
  const pre = numbers(raw?.pre ?? []);
  const post = numbers(raw?.post ?? []);
  const band = thresholdBand(m);
  const ys = [...pre, ...post, ...(band ? [band.from, band.to] : [])].filter((v): v is number => v !== null);
  if (ys.length === 0) return `<figure class="chart" data-metric="${esc(m.name)}"><figcaption>${esc(m.name)}</figcaption><p class="empty">no numeric values</p></figure>`;
  let [lo, hi] = ys.reduce(([a, b], v) => [Math.min(a, v), Math.max(b, v)], [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  if (lo === hi) [lo, hi] = [lo - Math.abs(lo || 1) * 0.1, hi + Math.abs(hi || 1) * 0.1];
  const gap = 1;
  const slots = Math.max(1, pre.length + gap + post.length - 1);
  const x = (i: number) => PAD.left + (i / slots) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const line = (values: (number | null)[], offset: number) =>
    values
      .map((v, i) => (v === null ? null : `${x(i + offset).toFixed(1)},${y(v).toFixed(1)}`))
      .reduce<string[][]>((runs, p) => (p === null ? [...runs, []] : (runs[runs.length - 1]!.push(p), runs)), [[]])
      .filter((r) => r.length > 0)
      .map((r) => (r.length === 1 ? `<circle cx="${r[0]!.split(',')[0]}" cy="${r[0]!.split(',')[1]}" r="2"/>` : `<polyline points="${r.join(' ')}"/>`))
      .join('');
  const deployX = x(pre.length - 1 + gap / 2 + 0.5);
  const bandRect = band ? `<rect class="band" x="${PAD.left}" width="${W - PAD.left - PAD.right}" y="${Math.min(y(band.from), y(band.to)).toFixed(1)}" height="${Math.abs(y(band.to) - y(band.from)).toFixed(1)}"/>` : '';
  const baseline = m.baseline === null ? '' : `<line class="baseline" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(m.baseline).toFixed(1)}" y2="${y(m.baseline).toFixed(1)}"/>`;
  return `<figure class="chart ${esc(m.status)}" data-metric="${esc(m.name)}"><figcaption>${esc(m.name)} <span class="status">${esc(m.status.replace('_', ' '))}</span></figcaption>
<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(`${m.name}: PRE ${pre.length} samples, POST ${post.length} samples`)}">
${bandRect}${baseline}
<line class="axis" x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${H - PAD.bottom}"/>
<text class="tick" x="${PAD.left - 6}" y="${(PAD.top + 4).toFixed(1)}" text-anchor="end">${esc(formatNumber(hi))}</text>
<text class="tick" x="${PAD.left - 6}" y="${(H - PAD.bottom).toFixed(1)}" text-anchor="end">${esc(formatNumber(lo))}</text>
${pre.length > 0 ? `<line class="deploy" x1="${deployX.toFixed(1)}" x2="${deployX.toFixed(1)}" y1="${PAD.top}" y2="${H - PAD.bottom}"/><text class="tick" x="${deployX.toFixed(1)}" y="${H - 6}" text-anchor="middle">deploy</text>` : ''}
<g class="pre">${line(pre, 0)}</g><g class="post">${line(post, pre.length + gap)}</g>
</svg></figure>`;
}

/** From the baseline to where the rule says "regression": the room a healthy deploy has. */
function thresholdBand(m: MetricResult): { from: number; to: number } | undefined {
  if (m.baseline === null) return undefined;
  const room = Math.abs(m.baseline) * (m.threshold_pct / 100);
  if (m.direction === 'decrease') return { from: m.baseline - room, to: m.baseline };
  if (m.direction === 'both') return { from: m.baseline - room, to: m.baseline + room };
  return { from: m.baseline, to: m.baseline + room };
}

function value(v: number | null): string {
  return v === null ? '—' : esc(formatNumber(v));
}

/** Control characters shown escaped and long values shortened (terminal.ts), then HTML's specials as entities. */
export function esc(text: string): string {
  return forDisplay(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
:root { --bg: #ffffff; --fg: #1b1f24; --muted: #5b636e; --line: #d7dce2; --pre: #6e7781; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --band: rgba(154, 103, 0, 0.12); --card: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --pre: #9198a1; --ok: #3fb950; --warn: #d29922; --bad: #f85149; --band: rgba(210, 153, 34, 0.16); --card: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1080px; padding: 24px; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.92em; }
header.verdict { border-left: 6px solid var(--muted); padding: 8px 16px; background: var(--card); border-radius: 6px; }
header.ok { border-color: var(--ok); } header.attention { border-color: var(--warn); } header.rollback_recommended { border-color: var(--bad); }
.badge { font-weight: 700; letter-spacing: 0.04em; }
header.ok .badge { color: var(--ok); } header.attention .badge { color: var(--warn); } header.rollback_recommended .badge { color: var(--bad); }
h1 { font-size: 1.3em; margin: 4px 0; } h2 { font-size: 1.1em; margin: 24px 0 8px; }
.meta { color: var(--muted); margin: 2px 0; font-size: 0.9em; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.regression .status, figure.regression .status { color: var(--bad); font-weight: 600; }
tr.warning .status, figure.warning .status, tr.no_data .status, tr.no_baseline .status { color: var(--warn); font-weight: 600; }
tr.ok .status, tr.improvement .status, figure.ok .status, figure.improvement .status { color: var(--ok); }
.hints li.critical { color: var(--bad); } .hints li.warning { color: var(--warn); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 16px; }
figure.chart { margin: 0; padding: 8px; background: var(--card); border-radius: 6px; break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg { display: block; overflow: visible; }
svg polyline { fill: none; stroke-width: 1.8; } svg circle { stroke: none; }
.pre polyline { stroke: var(--pre); } .pre circle { fill: var(--pre); }
.post polyline { stroke: var(--ok); } .post circle { fill: var(--ok); }
.regression .post polyline { stroke: var(--bad); } .regression .post circle { fill: var(--bad); }
.warning .post polyline, .no_data .post polyline { stroke: var(--warn); }
.band { fill: var(--band); } .baseline { stroke: var(--muted); stroke-dasharray: 4 3; }
.deploy { stroke: var(--fg); stroke-dasharray: 2 3; } .axis { stroke: var(--line); }
.tick { fill: var(--muted); font-size: 11px; }
.legend { color: var(--muted); font-size: 0.9em; }
.key { display: inline-block; width: 14px; height: 4px; margin: 0 4px 2px 10px; vertical-align: middle; }
.key.pre { background: var(--pre); } .key.post { background: var(--ok); } .key.band { background: var(--band); height: 10px; } .key.deploy { border-top: 2px dashed var(--fg); }
footer { margin-top: 32px; color: var(--muted); font-size: 0.85em; }
@media print { :root { --bg: #fff; --fg: #000; --card: #fff; } body { max-width: none; padding: 0; } .charts { grid-template-columns: 1fr 1fr; } }
`;
