/** One style in every human renderer: confidence, signed changes, thresholds, status words, estimates labelled. */
import { describe, expect, it } from 'vitest';
import type { VerdictReport } from '../../src/core/types.js';
import { colorsFor } from '../../src/output/colors.js';
import { renderHtmlReport } from '../../src/output/html-report.js';
import { COMMENT_LIMIT, renderMarkdown } from '../../src/output/markdown.js';
import { renderVerdict } from '../../src/output/verdict-text.js';
import type { RunRecord } from '../../src/store/types.js';

const evidence = { test: 'shift' as const, p_value: 0.004, untestable: false, settle_skipped: 2, invalid: { pre: 0, post: 0 } };
// A detail longer than the 200 characters an outside value gets: its own words (the estimate's label) are kept whole.
const detail = 'error_rate changed by +120% (baseline: 0.01, current: 0.022); rate test p=2e-9: about 30 errors in 3000 requests before, 600 in 27000 after (estimated from the rate and the request rate, spread 1.4x the binomial\'s), first 2 POST samples settling';

const report: VerdictReport = {
  deployment_id: '550e8400-e29b-41d4-a716-446655440000', project: 'checkout-api', env: 'prod',
  verdict: 'attention', confidence: 0.8, summary: 'Needs attention: latency_p95 in the attention band',
  details: [detail],
  metrics: [
    { name: 'error_rate', baseline: 0.01, current: 0.022, change_pct: 120, threshold_pct: 50, direction: 'increase', min_delta: 0.005, status: 'regression', samples: { pre: 12, post: 27 }, evidence: { ...evidence, test: 'rate', counts: { pre_events: 30, pre_requests: 3000, post_events: 600, post_requests: 27000, estimated: true, overdispersion: 1.4 } } },
    { name: 'latency_p95', baseline: 120, current: 150, change_pct: 25, threshold_pct: 33.333, direction: 'increase', status: 'warning', samples: { pre: 12, post: 27 }, evidence },
    { name: 'requests_per_sec', baseline: 200, current: 120, change_pct: -40, threshold_pct: 40, direction: 'decrease', status: 'regression', samples: { pre: 12, post: 27 }, evidence },
  ],
  hints: [], result: 'success', deploy_exit_code: 0, status: 'finished', samples: { pre: 12, post: 30, failed: 1 }, created_at: '2026-01-18T12:15:00.000Z', exit_code: 0,
  early_exit: { after_samples: 9, planned_samples: 30 },
};
const run: RunRecord = { id: report.deployment_id, project: 'checkout-api', env: 'prod', status: 'finished', settings: { endpoints: [], interval_ms: 10_000, window_ms: 300_000, pre_samples: 12, timeout_ms: 5000 }, command: null, result: 'success', deploy_exit_code: 0, deploy_signal: null, created_at: report.created_at, updated_at: report.created_at, deployed_at: report.created_at, finished_at: report.created_at };

const outputs = {
  terminal: renderVerdict(report, colorsFor({ isTTY: false }, { noColor: true })),
  markdown: renderMarkdown(report),
  html: renderHtmlReport(report, run, { names: [], byMetric: {}, times: { pre: [], post: [] } }),
};

describe.each(Object.entries(outputs))('the %s verdict', (_name, text) => {
  it('confidence with two decimals, as the JSON number', () => {
    expect(text).toContain('confidence 0.80');
    expect(text).not.toMatch(/80%|confidence 0\.8\b/);
  });

  it('changes and thresholds with an ASCII minus and one decimal where needed', () => {
    expect(text).not.toContain('−');
    expect(text).toMatch(/-40%/);
    expect(text).toContain('+33.3%');
    expect(text).not.toContain('33.333');
  });

  it('a metric that raises attention reads "attention", never "warning" (outside the note that names the JSON code)', () => {
    // What a reader sees: no markup, no style sheet (whose class names keep the JSON's codes).
    const read = text.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, '');
    expect(read).toMatch(/attention/);
    expect(read.replace('(status warning in the JSON)', '')).not.toMatch(/\bwarning\b/);
  });

  it('keeps the estimate labelled, whatever the length of the line', () => {
    expect(text).toMatch(/estimated from the rate and the request rate, spread 1\.4x the binomial(&#39;|\\?')s\), first 2 POST samples settling/);
  });

  it('a window ended early without a rollback is not called "decided early"', () => {
    expect(text).not.toMatch(/decided early/);
    expect(text).toContain('on the 9 of 30 POST samples taken before the window was ended early');
  });
});

describe('the HTML table', () => {
  it('names the test and whether its counts were counted or estimated', () => {
    expect(outputs.html).toMatch(/<td>rate test, p=1e-9|<td>rate test, p=0\.004, estimated counts<\/td>/);
  });
});

describe('Markdown code spans (metric names, hint codes, the deployment id)', () => {
  const named = (name: string): VerdictReport => ({ ...report, deployment_id: 'run\\1', metrics: [{ ...report.metrics[1]!, name }], hints: [{ code: 'odd\\code', severity: 'info', message: 'm' }] });
  const row = (md: string) => md.split('\n').find((line) => line.startsWith('| `'))!;

  it('show a backslash as one backslash: a code span takes it literally', () => {
    const md = renderMarkdown(named('C:\\tmp\\x'));
    expect(row(md)).toContain('`C:\\tmp\\x`');
    expect(md).toContain('`odd\\code`');
    expect(md).toContain('deployment `run\\1`');
  });

  it('in a table row a pipe is escaped, and a backslash before it cannot unescape it', () => {
    // GitHub's table scanner reads \\ as one escaped backslash: a pipe after it would end the cell.
    const cells = (line: string) => line.replace(/\\\\/g, '').replace(/\\\|/g, '').split('|').length - 2;
    const plain = row(renderMarkdown(report));
    for (const name of ['a|b', 'a\\|b', 'a\\\\|b', 'a`b|']) {
      const line = row(renderMarkdown(named(name)));
      expect(cells(line)).toBe(cells(plain));
    }
    expect(row(renderMarkdown(named('a|b')))).toContain('`a\\|b`');
    expect(row(renderMarkdown(named('a`b')))).toContain("`a'b`");
  });
});

describe('Markdown mentions', () => {
  it('a project, env, summary or detail with @name mentions nobody in a PR comment; the text still reads @name', () => {
    const md = renderMarkdown({ ...report, project: '@org/oncall', env: 'prod@eu', summary: 'Needs attention: @here moved', details: ['ping @octocat'] });
    // GitHub turns @ followed by a name into a mention: never an @ directly before a name character.
    expect(md).not.toMatch(/@[\p{L}\p{N}_-]/u);
    const read = md.replaceAll('\u2060', '');
    for (const text of ['@org/oncall', 'prod@eu', '@here moved', 'ping @octocat']) expect(read).toContain(text);
  });
});

describe('the Markdown size cap (a job summary: GitHub refuses one over 1 MiB, counted in bytes)', () => {
  const limit = 1_000_000;
  // CJK text is three bytes a character: 2,000 details of 300 characters are 600,000 characters, 1.8 MB.
  const words = 'デプロイ後のエラー率'.repeat(30);
  const many = (n: number) => Array.from({ length: n }, (_, i) => i);
  const big: VerdictReport = {
    ...report,
    project: 'ショップ',
    details: many(2_000).map((i) => `${i} ${words}`),
    hints: many(2_000).map((i) => ({ code: 'counters_disagree', severity: 'warning', message: `${i} ${words}` })),
    metrics: many(20_000).map((i) => ({ ...report.metrics[0]!, name: `m${i}` })),
  };

  it('stays under the cap in bytes however many details, hints and metrics the report holds, cutting whole lines, each list with a note', () => {
    const md = renderMarkdown(big, { maxBytes: limit });
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(limit);
    // Nearly all of it used: cut for what is too much, not for what fits.
    expect(Buffer.byteLength(md)).toBeGreaterThan(limit * 0.95);
    expect(md).toMatch(/^## ⚠️ Attention · ショップ\/prod\n/);
    const lines = md.split('\n');
    // Whole lines only: every detail and hint shown is one of the report's, every row a metric's.
    const shown = { details: lines.filter((l) => /^- \d+ /.test(l)), hints: lines.filter((l) => l.includes('**`counters_disagree`**')), rows: lines.filter((l) => l.startsWith('| `m')) };
    for (const line of shown.details) expect(line).toMatch(new RegExp(`^- \\d+ ${words}$`));
    for (const line of shown.hints) expect(line).toMatch(new RegExp(`\\(warning\\): \\d+ ${words}$`));
    // No list crowds out the others.
    for (const list of Object.values(shown)) expect(list.length).toBeGreaterThan(100);
    expect(md).toContain(`_${2_000 - shown.details.length} more details not shown (size limit); the full report is in the JSON report._`);
    expect(md).toContain(`_${2_000 - shown.hints.length} more hints not shown (size limit); the full report is in the JSON report._`);
    expect(md).toContain(`_${20_000 - shown.rows.length} more metrics not shown (size limit); the full report is in the JSON report._`);
    // The footer (the deployment id) is always there.
    expect(lines.at(-2)).toMatch(/^<sub>.*deployment `550e8400-e29b-41d4-a716-446655440000` · seqpulse<\/sub>$/);
  });

  it('leaves a report that fits whole, and a PR comment within GitHub\'s 65,536 characters', () => {
    expect(renderMarkdown(report, { maxBytes: limit })).toBe(renderMarkdown(report));
    const comment = renderMarkdown(big, { maxBytes: COMMENT_LIMIT, level: 3 });
    expect(Buffer.byteLength(comment)).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(comment.length).toBeLessThan(65_536 - 100);
  });
});
