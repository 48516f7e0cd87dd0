/// <reference lib="dom" />
/**
 * `seqpulse report`: the HTML file is self-contained, and renders in a real headless Chromium
 * (Debian's `chromium`, `npm run test:deps`): verdict, table and one chart per judged metric are
 * present and visible, in light and dark mode, and it prints. Screenshots go to test-artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../src/app/report.js';
import { runSeries } from '../../src/app/series.js';
import { snapshotsFromSamples } from '../../src/app/snapshots.js';
import { DEFAULT_RULES } from '../../src/core/rules.js';
import { renderHtmlReport } from '../../src/output/html-report.js';
import type { RunRecord, StoredSample } from '../../src/store/types.js';
import { fastFlags, runCli, runCliOnTerminal, tempDir } from '../helpers/cli.js';
import { describeWithTool } from '../helpers/system-tools.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';

const ARTIFACTS = resolve('test-artifacts');
const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };

/** A stored rollback: error_rate and latency up after the deploy. */
async function storedRollback(): Promise<{ cwd: string; id: string }> {
  const app = await startTestApp({
    secret: TEST_SECRET,
    metrics: (n, phase) => ({
      error_rate: phase === 'post' ? 0.09 + (n % 3) * 0.002 : 0.01 + (n % 3) * 0.001,
      latency_p95: phase === 'post' ? 260 + (n % 5) : 120 + (n % 5),
      // Enough requests (200 a sample at 100 ms) for the count test to confirm the error rise.
      requests_per_sec: 2000 + (n % 4),
      cpu_usage: 0.4,
    }),
  });
  try {
    const cwd = tempDir();
    const r = await runCli(['run', ...fastFlags(app.url), '--no-early-exit', '--project', 'shop <api>', '--json', '--', process.execPath, '-e', ''], { cwd, env });
    expect(r.code).toBe(1);
    return { cwd, id: JSON.parse(r.stdout).deployment_id };
  } finally {
    await app.close();
  }
}

/**
 * The HTML report of a run sampled as production runs are (every 10 s; a minute's PRE would take
 * minutes to record for real, so its stored samples are made here and go through the same
 * snapshots, judge and renderer as a stored run's).
 */
function pacedReport(): string {
  const deployed = Date.parse('2026-01-18T12:00:00Z');
  const samples: StoredSample[] = [];
  const add = (phase: 'pre' | 'post', seq: number, at: number, metrics: Record<string, number>) =>
    samples.push({ id: `${phase}-${seq}`, run_id: 'r', phase, seq, endpoint: 'http://app/ds-metrics', scheduled_at: new Date(at).toISOString(), taken_at: new Date(at).toISOString(), ok: true, http_status: 200, error: null, attempts: 1, latency_ms: 3, metrics });
  const noise = (i: number) => ((i * 7919) % 13) / 13 - 0.5;
  for (let i = 0; i < 12; i++) add('pre', i, deployed - 125_000 + i * 10_000, { error_rate: 0.002 + noise(i) * 0.0008, requests_per_sec: 150 + noise(i + 3) * 6, latency_p95: 120 + noise(i + 5) * 4, cpu_usage: 0.4 + noise(i + 7) * 0.016 });
  for (let i = 0; i < 30; i++) add('post', i, deployed + 10_000 + i * 10_000, { error_rate: (i < 3 ? 0.02 : 0.0025) + noise(i) * 0.0008, requests_per_sec: 150 + noise(i + 3) * 6, latency_p95: 120 + i * 1.4 + noise(i + 5) * 4, cpu_usage: 0.4 + noise(i + 7) * 0.016 });
  const settings = { endpoints: ['http://app/ds-metrics'], source: 'ds-metrics', interval_ms: 10_000, window_ms: 300_000, pre_samples: 12, timeout_ms: 5000, settle_ms: 30_000 };
  const run: RunRecord = { id: '7d3c1f20-0000-4000-8000-000000000000', project: 'checkout-api', env: 'prod', status: 'finished', settings, command: ['./deploy.sh'], result: 'success', deploy_exit_code: 0, deploy_signal: null, created_at: new Date(deployed - 130_000).toISOString(), updated_at: new Date(deployed + 310_000).toISOString(), deployed_at: new Date(deployed).toISOString(), finished_at: new Date(deployed + 310_000).toISOString() };
  const report = buildReport(run, snapshotsFromSamples(samples, DEFAULT_RULES), { rules: DEFAULT_RULES, failOn: 'rollback', now: run.finished_at! });
  return renderHtmlReport(report, run, runSeries(samples, DEFAULT_RULES));
}

describe('seqpulse report', () => {
  let run: { cwd: string; id: string };
  let html: string;
  let file: string;
  beforeAll(async () => {
    run = await storedRollback();
    file = join(run.cwd, 'report.html');
    const r = await runCli(['report', run.id.slice(0, 8), '--format', 'html', '-o', file], { cwd: run.cwd });
    expect(r.code).toBe(0);
    html = readFileSync(file, 'utf8');
  });

  it('writes one self-contained HTML file: no script, no external resource, user text escaped', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|<img|\ssrc=|url\(|@import|https?:\/\/(?!www\.w3\.org)/i);
    expect(html).toContain('shop &lt;api&gt;');
    expect(html).not.toContain('shop <api>');
    expect(html).toContain('ROLLBACK RECOMMENDED');
    // One chart per judged metric, each with its PRE and POST lines.
    expect(html.match(/<figure class="chart/g)).toHaveLength(4);
    expect(html).toMatch(/data-metric="error_rate"[\s\S]*?<g class="pre"><polyline[\s\S]*?<g class="post"><polyline/);
  });

  it('on a terminal, a report is a file (its path printed), never HTML on the screen; -o - prints it; piped, it goes to stdout', async () => {
    const onTerminal = await runCliOnTerminal(['report', run.id], { cwd: run.cwd });
    expect(onTerminal.code).toBe(0);
    const name = `seqpulse-report-${run.id.slice(0, 8)}.html`;
    expect(onTerminal.stdout).toContain(`Report written to ${name} (to print it instead: -o -, or pipe it)`);
    expect(onTerminal.stdout).not.toMatch(/<!doctype|<svg/i);
    expect(readFileSync(join(run.cwd, name), 'utf8')).toBe(html);

    const md = await runCliOnTerminal(['report', run.id, '--format', 'md'], { cwd: run.cwd });
    expect(md.stdout).toContain(`Report written to seqpulse-report-${run.id.slice(0, 8)}.md`);
    expect(existsSync(join(run.cwd, `seqpulse-report-${run.id.slice(0, 8)}.md`))).toBe(true);

    const asked = await runCliOnTerminal(['report', run.id, '--format', 'md', '-o', '-'], { cwd: run.cwd });
    expect(asked.stdout).toMatch(/# 🛑 Rollback recommended/);

    const piped = await runCli(['report', run.id], { cwd: run.cwd });
    expect(piped.stdout).toBe(html);
    expect(piped.stderr).toBe('');
  });

  it('--format json is the stored verdict; a run without a verdict is a clear error', async () => {
    const json = await runCli(['report', run.id, '--format', 'json'], { cwd: run.cwd });
    const verdict = await runCli(['verdict', run.id, '--json'], { cwd: run.cwd });
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(verdict.stdout));
    const missing = await runCli(['report', '00000000'], { cwd: run.cwd });
    expect(missing.code).toBe(2);
    const unwritable = await runCli(['report', run.id, '-o', join(run.cwd, 'no', 'such', 'dir', 'r.html')], { cwd: run.cwd });
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toMatch(/cannot write the report to .*ENOENT/);
  });

  it('--format md: the headline, reasons, the metrics that moved first, user text escaped', async () => {
    const md = await runCli(['report', run.id, '--format', 'md'], { cwd: run.cwd });
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^# 🛑 Rollback recommended · shop \\<api\\>\/default\n/);
    expect(md.stdout).toMatch(/\n- error\\_rate changed by \+[\d.]+% \(baseline: /);
    const rows = md.stdout.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatch(/🔴 regression \|$/);
    expect(rows.at(-1)).toMatch(/\| ok \|$/);
    expect(md.stdout).toContain(`deployment \`${run.id}\``);
  });

  describeWithTool('chromium', 'in headless Chromium', (chromium) => {
    it('a run at production pace (12 PRE and 30 POST samples 10 s apart): minutes on the axis, the floor of a small error rate, 2% noise inside its range', async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'seqpulse-report-')), 'paced.html');
      writeFileSync(file, pacedReport());
      const page = await browser.newPage();
      await page.setViewport({ width: 1200, height: 900 });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      const seen = await page.evaluate(() => ({
        ticks: Array.from(document.querySelectorAll('figure[data-metric="latency_p95"] text.tick[text-anchor="middle"]')).map((t) => t.textContent),
        errorRange: document.querySelector('figure[data-metric="error_rate"] text.allowed-label')?.textContent,
        settle: document.querySelector('figure[data-metric="latency_p95"] text.settle-label')?.textContent,
      }));
      expect(seen.ticks).toEqual(['-2m', '-1m', 'deploy', '+1m', '+2m', '+3m', '+4m', '+5m']);
      expect(seen.errorRange).toBe('allowed range: +50%, at least 0.005 (min_delta)');
      expect(seen.settle).toBe('settle: first 3 POST samples, not judged');
      await page.screenshot({ path: join(ARTIFACTS, 'report-paced.png'), fullPage: true });
      await page.close();
    }, 60_000);

    let browser: Browser;
    beforeAll(async () => {
      browser = await puppeteer.launch({ executablePath: chromium, args: ['--no-sandbox', '--disable-gpu'], headless: true });
      mkdirSync(ARTIFACTS, { recursive: true });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    it.each(['light', 'dark'] as const)('shows the verdict, the table and every chart (%s mode), and prints', async (scheme) => {
      const page = await browser.newPage();
      await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
      await page.setViewport({ width: 1200, height: 900 });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);

      const seen = await page.evaluate(() => {
        const visible = (el: Element | null) => {
          if (!el) return false;
          const box = el.getBoundingClientRect();
          const style = getComputedStyle(el);
          return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && style.display !== 'none';
        };
        const charts = Array.from(document.querySelectorAll('figure.chart'));
        return {
          verdict: visible(document.querySelector('#verdict')) && document.querySelector('#verdict .badge')?.textContent,
          rows: document.querySelectorAll('#metrics tbody tr').length,
          tableVisible: visible(document.querySelector('#metrics')),
          charts: charts.map((f) => {
            const svg = f.querySelector('svg')!.getBoundingClientRect();
            const texts = Array.from(f.querySelectorAll('svg text'));
            return {
              name: f.getAttribute('data-metric'),
              svg: visible(f.querySelector('svg')),
              pre: f.querySelectorAll('g.pre polyline').length,
              post: f.querySelectorAll('g.post polyline').length,
              // A vertical line has no width: its height says it is drawn.
              deploy: (f.querySelector('line.deploy')?.getBoundingClientRect().height ?? 0) > 50 && f.querySelector('text.deploy-label')?.textContent,
              allowed: visible(f.querySelector('rect.allowed')) && f.querySelector('text.allowed-label')?.textContent,
              settle: visible(f.querySelector('rect.settle')) && f.querySelector('text.settle-label')?.textContent,
              settling: f.querySelectorAll('circle.settling').length,
              unit: f.querySelector('figcaption .unit')?.textContent,
              axis: texts.filter((t) => t.classList.contains('axis-title')).map((t) => t.textContent),
              xticks: Array.from(f.querySelectorAll('line.xtick')).length,
              // Every label lies inside the chart's box (nothing cut off at an edge).
              inside: texts.every((t) => {
                const b = t.getBoundingClientRect();
                return b.left >= svg.left - 1 && b.right <= svg.right + 1 && b.top >= svg.top - 14 && b.bottom <= svg.bottom + 1;
              }),
            };
          }),
          tests: Array.from(document.querySelectorAll('#metrics tbody tr td:last-child')).map((td) => td.textContent),
          background: getComputedStyle(document.body).backgroundColor,
        };
      });
      expect(seen.verdict).toBe('ROLLBACK RECOMMENDED');
      expect(seen.tableVisible).toBe(true);
      expect(seen.rows).toBe(4);
      expect(seen.charts).toHaveLength(4);
      for (const c of seen.charts) {
        expect(c).toMatchObject({ svg: true, pre: 1, post: 1, deploy: 'deploy', settle: 'settle: first POST sample, not judged', settling: 1, inside: true });
        expect(c.allowed).toMatch(/^allowed range: [+-]\d+%/);
        expect(c.axis).toContain('time from the deploy');
        expect(c.xticks).toBeGreaterThanOrEqual(3);
      }
      const byName = Object.fromEntries(seen.charts.map((c) => [c.name, c]));
      expect(byName.error_rate!.unit).toBe('share of requests (0.01 = 1%)');
      expect(byName.latency_p95!.unit).toBe('ms');
      // 50% of error_rate's 0.011 is more than its floor (min_delta 0.005): the threshold sets the range (chart.test.ts: the other case).
      expect(byName.error_rate!.allowed).toBe('allowed range: +50%');
      expect(byName.latency_p95!.allowed).toBe('allowed range: +30%');
      expect(seen.tests[0]).toMatch(/^rate test, p=[\d.e-]+, estimated counts$/);
      expect(seen.background).toBe(scheme === 'dark' ? 'rgb(13, 17, 23)' : 'rgb(255, 255, 255)');

      await page.screenshot({ path: join(ARTIFACTS, `report-${scheme}.png`), fullPage: true });
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      expect(Buffer.from(pdf).subarray(0, 5).toString()).toBe('%PDF-');
      await page.close();
    }, 60_000);
  });
});
