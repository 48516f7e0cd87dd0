/**
 * The verdict as GitHub-flavoured Markdown: `report --format md`, the Action's job summary and its
 * PR comment. Readable at a glance (headline, why, the metrics that moved first) and bounded in size:
 * GitHub caps a step summary at 1 MiB and a comment at 65,536 characters. Pure.
 */
import type { MetricResult, VerdictReport } from '../core/types.js';
import { deployEnding, earlyExitNote, formatConfidence, formatNumber, formatPct, formatThreshold } from '../core/wording.js';
import { forDisplay, MAX_SENTENCE, MENTION_BREAK, NAME_WIDTH } from './terminal.js';
import { utf8Length } from '../unicode.js';
import { lookup, statusLabel } from './words.js';

export interface MarkdownOptions {
  /**
   * Hard cap on the document's size in UTF-8 bytes, what GitHub counts for a job summary (a text's
   * length in characters is never more than its bytes, so the cap bounds a comment's characters too).
   * The details, the hints and the metric table are cut to fit, in that order of precedence, each
   * with a note saying so.
   */
  maxBytes?: number;
  /** Heading level of the title (1 = `#`). */
  level?: number;
}

/** Comment bodies are capped at 65,536 characters by GitHub; keep room for the marker (in bytes: at most as many characters). */
export const COMMENT_LIMIT = 60_000;

const ORDER: Record<string, number> = { regression: 0, warning: 1, no_data: 2, no_baseline: 3, improvement: 4, ok: 5 };

/** What a list's note of lines left out (`notShown`) may take, at most. */
const NOTE_ROOM = 200;

export function renderMarkdown(report: VerdictReport, opts: MarkdownOptions = {}): string {
  const h = '#'.repeat(opts.level ?? 2);
  // A dry run says so where the verdict is read first: the heading.
  const dryRun = report.dry_run ? ` (dry run: would exit ${report.dry_run.exit_code}, exited ${report.exit_code})` : '';
  const confidence = report.verdict === null ? '' : ` (confidence ${formatConfidence(report.confidence)})`;
  const head = [`${h} ${headline(report)}${dryRun} · ${escapeText(report.project)}/${escapeText(report.env)}`, '', `**${escapeText(report.summary, MAX_SENTENCE)}**${confidence}`, ''];
  const tail = [footer(report), ''];
  const metrics = [...report.metrics].sort((a, b) => (lookup(ORDER, a.status) ?? 9) - (lookup(ORDER, b.status) ?? 9));
  const tableHead = [`${h}# Metrics`, '', '| metric | PRE | POST | change | threshold | status |', '|---|--:|--:|--:|--:|---|'];
  const hintsHead = [`${h}# Hints`, ''];

  // Each line is bounded (escapeText), their number is not (a detail per metric, thousands of metrics).
  // What is always there comes off first, with room for a note under each list that is cut; the
  // details and the hints take at most half of what is left each, so a long list never crowds the others out.
  const fixed = [...head, ...tail, ...(report.hints.length > 0 ? hintsHead : []), ...(metrics.length > 0 ? tableHead : [])];
  let room = (opts.maxBytes ?? Number.POSITIVE_INFINITY) - utf8Length(fixed.join('\n')) - 3 * NOTE_ROOM;
  const fit = (lines: string[], share: number, one: string, many: string): string[] => {
    const shown: string[] = [];
    let left = room * share;
    for (const line of lines) {
      const size = utf8Length(line) + 1;
      if (size > left) break;
      shown.push(line);
      left -= size;
      room -= size;
    }
    const cut = lines.length - shown.length;
    return cut === 0 ? shown : [...shown, '', `_${cut} more ${cut === 1 ? one : many} not shown (size limit); the full report is in the JSON report._`];
  };

  const doc = [...head];
  if (report.details.length > 0) doc.push(...fit(report.details.map((d) => `- ${escapeText(d, MAX_SENTENCE)}`), 1 / 2, 'detail', 'details'), '');
  if (report.hints.length > 0) {
    const hints = report.hints.map((x) => `- ${lookup(HINT_ICON, x.severity) ?? ''} **${codeSpan(x.code)}** (${escapeText(x.severity)}): ${escapeText(x.message, MAX_SENTENCE)}`);
    doc.push(...hintsHead, ...fit(hints, 1 / 2, 'hint', 'hints'), '');
  }
  if (metrics.length > 0) doc.push(...tableHead, ...fit(metrics.map(metricRow), 1, 'metric', 'metrics'), '');
  return [...doc, ...tail].join('\n');
}

export interface FailureSummary {
  message: string;
  hint?: string;
  exitCode: number;
  project?: string;
  env?: string;
}

/** A run that ended without a verdict document (a configuration error, a rejected secret, a store that failed): what happened and what to do. */
export function renderFailureMarkdown(f: FailureSummary): string {
  const where = f.project === undefined ? '' : ` · ${escapeText(f.project)}/${escapeText(f.env ?? '')}`;
  const meaning: Record<number, string> = {
    2: 'a usage or configuration error: nothing was deployed',
    3: 'the deploy went ahead, but no verdict could be made',
    70: 'an internal error in seqpulse: please report it',
  };
  return [
    `## ❌ seqpulse could not make a verdict${where}`,
    '',
    // A configuration error lists one issue per line: kept as a list (escaping would show the newlines as \n).
    ...f.message.split('\n').map((line, i) => (i === 0 ? `**${escapeText(line)}**` : `- ${escapeText(line.trim())}`)),
    '',
    ...(f.hint ? [...f.hint.split('\n').map((line) => escapeText(line)), ''] : []),
    `<sub>exit ${f.exitCode}${meaning[f.exitCode] ? `: ${meaning[f.exitCode]}` : ''} · verdict output: none · seqpulse</sub>`,
    '',
  ].join('\n');
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
  const cells = [
    codeSpan(m.name, true),
    m.baseline === null ? '—' : formatNumber(m.baseline),
    m.current === null ? '—' : formatNumber(m.current),
    m.change_pct === null ? '—' : formatPct(m.change_pct),
    formatThreshold(m.direction, m.threshold_pct),
    `${lookup(STATUS_ICON, m.status) ?? ''}${escapeText(statusLabel(m.status))}`,
  ];
  return `| ${cells.join(' | ')} |`;
}

const STATUS_ICON: Record<string, string> = { regression: '🔴 ', warning: '🟠 ', improvement: '🟢 ' };

function footer(report: VerdictReport): string {
  const s = report.samples;
  const parts = [`samples: ${s.pre} ${report.baseline ? `baseline (POST of ${report.baseline.runs.length} earlier good runs)` : 'PRE'}, ${s.post} POST, ${s.failed} failed`];
  const ending = deployEnding(report);
  if (report.result !== null) parts.push(`deploy ${escapeText(report.result)}${ending ? ` (${ending})` : ''}`);
  if (report.early_exit) parts.push(earlyExitNote(report.verdict, report.early_exit));
  parts.push(`deployment ${codeSpan(report.deployment_id)}`);
  return `<sub>${parts.join(' · ')} · seqpulse</sub>`;
}

/** Text from the app or the config (metric names, messages) must not become Markdown or HTML. */
/** Control characters shown escaped and long values shortened (terminal.ts), then Markdown's markup escaped. */
function escapeText(text: string, max?: number): string {
  // An @ before a name would mention a user or a team in a PR comment (a project called @org/oncall
  // pages them on every deploy): a word joiner after it keeps the text and drops the mention.
  return forDisplay(text, max)
    .replace(/[\\`*_[\]<>|#]/g, (ch) => `\\${ch}`)
    .replace(/@(?=[\p{L}\p{N}_-])/gu, `@${MENTION_BREAK}`);
}

/**
 * A code span (a metric name, a hint code, an id): a backtick would close it early ('). Inside one a
 * backslash is literal, so it is left alone, except in a table row, where a pipe must be written \|
 * and backslashes right before it doubled (GitHub reads \\ as one escaped backslash, and the pipe
 * after it would end the cell).
 */
function codeSpan(text: string, inTable = false): string {
  const safe = forDisplay(text, NAME_WIDTH).replace(/`/g, "'");
  return `\`${inTable ? safe.replace(/(\\*)\|/g, (_, slashes: string) => `${slashes}${slashes}\\|`) : safe}\``;
}
