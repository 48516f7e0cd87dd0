/// <reference lib="dom" />
/**
 * `seqpulse report`: the HTML file is self-contained, and renders in a real headless Chromium
 * (Debian's `chromium`, `npm run test:deps`): verdict, table and one chart per judged metric are
 * present and visible, in light and dark mode, and it prints. Screenshots go to test-artifacts/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastFlags, runCli, tempDir } from '../helpers/cli.js';
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
          charts: charts.map((f) => ({ name: f.getAttribute('data-metric'), svg: visible(f.querySelector('svg')), lines: f.querySelectorAll('polyline').length, deploy: !!f.querySelector('line.deploy'), band: !!f.querySelector('rect.band') })),
          background: getComputedStyle(document.body).backgroundColor,
        };
      });
      expect(seen.verdict).toBe('ROLLBACK RECOMMENDED');
      expect(seen.tableVisible).toBe(true);
      expect(seen.rows).toBe(4);
      expect(seen.charts).toHaveLength(4);
      for (const c of seen.charts) expect(c).toMatchObject({ svg: true, lines: 2, deploy: true, band: true });
      expect(seen.background).toBe(scheme === 'dark' ? 'rgb(13, 17, 23)' : 'rgb(255, 255, 255)');

      await page.screenshot({ path: join(ARTIFACTS, `report-${scheme}.png`), fullPage: true });
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      expect(Buffer.from(pdf).subarray(0, 5).toString()).toBe('%PDF-');
      await page.close();
    }, 60_000);
  });
});
