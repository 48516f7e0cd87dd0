/**
 * One metric's chart in the HTML report, as inline SVG: PRE and POST values against time from the
 * deploy (the x axis), in the metric's unit (the y axis), the deploy moment, the POST samples set
 * aside to settle, the baseline and the POST median the verdict compared, and the range the rule
 * allowed (a move inside it is no regression), labelled as such. Pure.
 */
import { formatDuration } from '../config/duration.js';
import { maxOf, minOf } from '../core/stats/basic.js';
import type { MetricResult } from '../core/types.js';
import { formatNumber, formatThreshold } from '../core/wording.js';
import { allowedRange } from './allowed.js';
import { esc } from './html-escape.js';
import { numbers, type MetricSeries, type RunSeries } from './series.js';
import { unitOf } from './units.js';
import { statusLabel } from './words.js';

const W = 640;
const H = 230;
const PAD = { left: 64, right: 16, top: 26, bottom: 44 };
/** Above this many points, the line is drawn without a marker per sample. */
const MAX_MARKERS = 120;

export interface ChartInput {
  metric: MetricResult;
  series: MetricSeries | undefined;
  times: RunSeries['times'];
  /** When the deploy command ended (epoch ms), if known. */
  deployedAt: number | null;
}

interface Point {
  t: number;
  v: number | null;
}

export function metricChart({ metric: m, series, times, deployedAt }: ChartInput): string {
  const pre = numbers(series?.pre ?? []);
  const post = numbers(series?.post ?? []);
  const unit = unitOf(m.name);
  const caption = `<figcaption>${esc(m.name)} <span class="status">${esc(statusLabel(m.status))}</span> <span class="unit">${esc(unit ?? 'no unit known: values as reported')}</span></figcaption>`;
  const open = `<figure class="chart ${esc(m.status)}" data-metric="${esc(m.name)}">`;
  const band = allowedRange(m);
  const values = [...pre, ...post].filter((v): v is number => v !== null);
  if (values.length === 0) return `${open}${caption}<p class="empty">no numeric values</p></figure>`;

  const axis = timeAxis(pre.length, post.length, times, deployedAt);
  const prePts: Point[] = pre.map((v, i) => ({ t: axis.pre[i]!, v }));
  const postPts: Point[] = post.map((v, i) => ({ t: axis.post[i]!, v }));
  const allT = [...axis.pre, ...axis.post, axis.deploy];
  const [t0, t1] = [minOf(allT), maxOf(allT)];
  const tSpan = t1 - t0 || 1;
  const x = (t: number) => PAD.left + ((t - t0) / tSpan) * (W - PAD.left - PAD.right);

  const ys = [...values, ...(band ? [band.from, band.to] : [])];
  let [lo, hi] = [minOf(ys), maxOf(ys)];
  if (lo === hi) [lo, hi] = [lo - Math.abs(lo || 1) * 0.1, hi + Math.abs(hi || 1) * 0.1];
  const yTicks = niceTicks(lo, hi, 4);
  [lo, hi] = [Math.min(lo, yTicks[0]!), Math.max(hi, yTicks[yTicks.length - 1]!)];
  const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const [plotL, plotR, plotT, plotB] = [PAD.left, W - PAD.right, PAD.top, H - PAD.bottom];
  const f = (n: number) => n.toFixed(1);

  const settle = Math.min(m.evidence.settle_skipped, postPts.length);
  const deployX = x(axis.deploy);
  const parts: string[] = [];
  // Grid and axes first, data on top.
  for (const v of yTicks) parts.push(`<line class="grid" x1="${plotL}" x2="${plotR}" y1="${f(y(v))}" y2="${f(y(v))}"/><text class="tick" x="${plotL - 6}" y="${f(y(v) + 4)}" text-anchor="end">${esc(formatNumber(v))}</text>`);
  // The tick at the deploy is labelled as such: the moment every other tick counts from.
  for (const t of axis.ticks.filter((tick) => tick >= t0 - 1e-9 && tick <= t1 + 1e-9)) {
    const atDeploy = Math.abs(t - axis.deploy) < 1e-9;
    parts.push(`<line class="xtick" x1="${f(x(t))}" x2="${f(x(t))}" y1="${plotB}" y2="${plotB + 4}"/><text class="tick${atDeploy ? ' deploy-label' : ''}" x="${f(x(t))}" y="${plotB + 16}" text-anchor="middle">${atDeploy ? 'deploy' : esc(axis.label(t - axis.deploy))}</text>`);
  }
  parts.push(`<line class="axis" x1="${plotL}" x2="${plotL}" y1="${plotT}" y2="${plotB}"/><line class="axis" x1="${plotL}" x2="${plotR}" y1="${plotB}" y2="${plotB}"/>`);
  parts.push(`<text class="axis-title" x="${f((plotL + plotR) / 2)}" y="${H - 6}" text-anchor="middle">${esc(axis.title)}</text>`);

  if (band) {
    const top = Math.min(y(band.from), y(band.to));
    const height = Math.abs(y(band.to) - y(band.from));
    const limit = m.direction === 'decrease' ? band.from : band.to;
    const label = `allowed range: ${formatThreshold(m.direction, m.threshold_pct)}${band.byMinDelta ? `, at least ${formatNumber(m.min_delta ?? 0)} (min_delta)` : ''}`;
    parts.push(`<rect class="allowed" x="${f(deployX)}" width="${f(plotR - deployX)}" y="${f(top)}" height="${f(Math.max(height, 1))}"><title>${esc(`${label}: a POST value inside it is no regression`)}</title></rect>`);
    parts.push(`<line class="allowed-edge" x1="${f(deployX)}" x2="${plotR}" y1="${f(y(limit))}" y2="${f(y(limit))}"/>`);
    if (m.direction === 'both') parts.push(`<line class="allowed-edge" x1="${f(deployX)}" x2="${plotR}" y1="${f(y(band.from))}" y2="${f(y(band.from))}"/>`);
    parts.push(`<text class="label allowed-label" x="${plotR - 4}" y="${f(y(limit) + (m.direction === 'decrease' ? 12 : -4))}" text-anchor="end">${esc(label)}</text>`);
  }
  if (settle > 0) {
    const end = settle < postPts.length ? (postPts[settle - 1]!.t + postPts[settle]!.t) / 2 : postPts[settle - 1]!.t;
    parts.push(`<rect class="settle" x="${f(deployX)}" width="${f(Math.max(1, x(end) - deployX))}" y="${plotT}" height="${plotB - plotT}"><title>${esc(`the first ${settle} POST samples: settling after the deploy, not judged`)}</title></rect>`);
    parts.push(`<text class="label settle-label" x="${f(deployX + 2)}" y="${plotT - 5}">settle: ${settle === 1 ? 'first POST sample' : `first ${settle} POST samples`}, not judged</text>`);
  }
  if (m.baseline !== null && Number.isFinite(m.baseline)) {
    parts.push(`<line class="baseline" x1="${plotL}" x2="${plotR}" y1="${f(y(m.baseline))}" y2="${f(y(m.baseline))}"/>`);
    parts.push(`<text class="label" x="${plotL + 4}" y="${f(y(m.baseline) - 4)}">baseline ${esc(formatNumber(m.baseline))}</text>`);
  }
  if (m.current !== null && Number.isFinite(m.current) && postPts.length > settle) {
    const from = x(postPts[settle]!.t);
    parts.push(`<line class="current" x1="${f(from)}" x2="${plotR}" y1="${f(y(m.current))}" y2="${f(y(m.current))}"/>`);
  }
  parts.push(`<line class="deploy" x1="${f(deployX)}" x2="${f(deployX)}" y1="${plotT}" y2="${plotB}"/>`);
  parts.push(`<g class="pre">${line(prePts, x, y)}${markers(prePts, x, y, () => false)}</g>`);
  parts.push(`<g class="post">${line(postPts, x, y)}${markers(postPts, x, y, (i) => i < settle)}</g>`);

  const aria = `${m.name}: ${pre.length} PRE and ${post.length} POST samples${band ? `; allowed range ${formatNumber(band.from)} to ${formatNumber(band.to)}` : ''}${settle > 0 ? `; first ${settle} POST samples settling` : ''}`;
  return `${open}${caption}
<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(aria)}">
${parts.join('\n')}
</svg></figure>`;
}

/** A polyline per run of values with no gap; a lone value is a dot. */
function line(points: Point[], x: (t: number) => number, y: (v: number) => number): string {
  const runs: string[][] = [[]];
  for (const p of points) {
    if (p.v === null) runs.push([]);
    else runs[runs.length - 1]!.push(`${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
  }
  return runs
    .filter((r) => r.length > 0)
    .map((r) => (r.length === 1 ? `<circle cx="${r[0]!.split(',')[0]}" cy="${r[0]!.split(',')[1]}" r="2.5"/>` : `<polyline points="${r.join(' ')}"/>`))
    .join('');
}

/** A dot per sample (hollow for settle samples) while there are few enough to tell apart. */
function markers(points: Point[], x: (t: number) => number, y: (v: number) => number, settling: (i: number) => boolean): string {
  if (points.length > MAX_MARKERS) return '';
  return points
    .map((p, i) => (p.v === null ? '' : `<circle class="${settling(i) ? 'sample settling' : 'sample'}" cx="${x(p.t).toFixed(1)}" cy="${y(p.v).toFixed(1)}" r="2.2"/>`))
    .join('');
}

interface TimeAxis {
  pre: number[];
  post: number[];
  deploy: number;
  ticks: number[];
  title: string;
  label: (fromDeploy: number) => string;
}

/**
 * x positions in ms: the samples' own times when the store has them all, else their order (one
 * step per sample) around the deploy.
 */
function timeAxis(preCount: number, postCount: number, times: RunSeries['times'], deployedAt: number | null): TimeAxis {
  const known = times.pre.length === preCount && times.post.length === postCount && [...times.pre, ...times.post].every((t) => t !== null);
  if (!known) {
    const pre = Array.from({ length: preCount }, (_, i) => i - preCount);
    const post = Array.from({ length: postCount }, (_, i) => i + 1);
    const ticks = niceTicks(Math.min(-1, pre[0] ?? 0), Math.max(1, post[post.length - 1] ?? 0), 6).filter((t) => Number.isInteger(t));
    return { pre, post, deploy: 0, ticks, title: 'samples before and after the deploy', label: (n) => (n > 0 ? `+${n}` : String(n)) };
  }
  const pre = times.pre as number[];
  const post = times.post as number[];
  const lastPre = pre[pre.length - 1];
  const firstPost = post[0];
  const deploy = deployedAt ?? (lastPre !== undefined && firstPost !== undefined ? (lastPre + firstPost) / 2 : (lastPre ?? firstPost ?? 0));
  const all = [...pre, ...post, deploy];
  const [t0, t1] = [minOf(all), maxOf(all)];
  const step = niceDuration((t1 - t0) / 8);
  const ticks: number[] = [];
  for (let k = Math.ceil((t0 - deploy) / step); deploy + k * step <= t1; k++) ticks.push(deploy + k * step);
  const label = (ms: number) => (Math.abs(ms) < 1 ? '0' : `${ms > 0 ? '+' : '-'}${formatDuration(Math.abs(ms))}`);
  return { pre, post, deploy, ticks, title: 'time from the deploy', label };
}

const DURATION_STEPS = [100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];

function niceDuration(atLeast: number): number {
  return DURATION_STEPS.find((s) => s >= atLeast) ?? Math.ceil(atLeast / 86_400_000) * 86_400_000;
}

/** Round-numbered ticks (1, 2 or 5 times a power of ten) covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return [lo];
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].map((k) => k * power).find((s) => s >= raw) ?? 10 * power);
  const ticks: number[] = [];
  for (let k = Math.floor(lo / step + 1e-9), last = Math.ceil(hi / step - 1e-9); k <= last; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}
