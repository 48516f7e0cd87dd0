/**
 * `--pushgateway URL`: seqpulse's own metrics pushed once at the end of a run, to a real local HTTP
 * server that records the push, and to Debian's real `prometheus-pushgateway` (`npm run test:deps`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { fastFlags, runCli, tempDir } from '../helpers/cli.js';
import { startTestApp, TEST_SECRET } from '../helpers/test-app.js';
import { describeWithTool } from '../helpers/system-tools.js';
import { waitFor } from '../helpers/wait-for.js';

const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };

async function recorder() {
  const pushes: { method: string; url: string; type: string | undefined; auth: string | undefined; body: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      pushes.push({ method: req.method!, url: req.url!, type: req.headers['content-type'], auth: req.headers.authorization, body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { pushes, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function value(body: string, line: RegExp): number {
  const m = body.split('\n').find((l) => line.test(l));
  if (!m) throw new Error(`no line ${line} in:\n${body}`);
  return Number(m.split(' ').pop());
}

describe('--pushgateway', () => {
  it('pushes the run\'s collection counts, durations and verdict once, grouped by project and env', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    const gw = await recorder();
    try {
      const r = await runCli(['run', ...fastFlags(app.url), '--project', 'web/shop', '--env', 'prod', '--pushgateway', `http://ops:gw-pass@127.0.0.1:${gw.port}/`, '--json', '--', process.execPath, '-e', ''], { cwd: tempDir(), env });
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(gw.pushes).toHaveLength(1);
      const [push] = gw.pushes;
      // A project with a slash goes in the Pushgateway's base64 form.
      expect(push).toMatchObject({ method: 'PUT', url: `/metrics/job/seqpulse/project@base64/${Buffer.from('web/shop').toString('base64url')}/env/prod`, type: 'text/plain; version=0.0.4' });
      expect(push!.auth).toBe(`Basic ${Buffer.from('ops:gw-pass').toString('base64')}`);
      const body = push!.body;
      expect(value(body, /^seqpulse_metrics_collected_total\{.*phase="pre"/)).toBe(3);
      expect(value(body, /^seqpulse_metrics_collected_total\{.*phase="post"/)).toBe(report.samples.post);
      expect(value(body, /^seqpulse_collection_failures_total\{.*phase="post"/)).toBe(0);
      expect(value(body, /^seqpulse_last_verdict\{project="web\/shop",env="prod",verdict="ok"\}/)).toBe(1);
      expect(value(body, /^seqpulse_last_verdict\{.*verdict="rollback_recommended"/)).toBe(0);
      expect(value(body, /^seqpulse_analysis_duration_seconds\{.*outcome="ok"/)).toBeGreaterThan(0);
      expect(value(body, /^seqpulse_run_duration_seconds/)).toBeGreaterThan(0.5);
      expect(body).toMatch(/# TYPE seqpulse_metrics_collected_total counter/);
      expect(r.stderr + r.stdout).not.toContain('gw-pass');
    } finally {
      await Promise.all([app.close(), gw.close()]);
    }
  });

  it('a project or env named . or .. keeps its own group (base64: the URL would resolve the segment away)', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    const gw = await recorder();
    try {
      const cwd = tempDir();
      for (const [project, envName] of [['..', 'prod'], ['.', '..']]) {
        const r = await runCli(['run', ...fastFlags(app.url), '--project', project!, '--env', envName!, '--pushgateway', `http://127.0.0.1:${gw.port}`, '--', process.execPath, '-e', ''], { cwd, env });
        expect(r.code).toBe(0);
      }
      const b64 = (v: string) => Buffer.from(v).toString('base64url');
      expect(gw.pushes.map((p) => p.url)).toEqual([
        `/metrics/job/seqpulse/project@base64/${b64('..')}/env/prod`,
        `/metrics/job/seqpulse/project@base64/${b64('.')}/env@base64/${b64('..')}`,
      ]);
    } finally {
      await Promise.all([app.close(), gw.close()]);
    }
  });

  it('a gateway that cannot be reached is a warning; the exit code is the verdict\'s', async () => {
    const app = await startTestApp({ secret: TEST_SECRET });
    try {
      const r = await runCli(['run', ...fastFlags(app.url), '--pushgateway', 'http://u:secret-9@127.0.0.1:9', '--', process.execPath, '-e', ''], { cwd: tempDir(), env });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/Could not push seqpulse metrics to http:\/\/\*\*\*@127\.0\.0\.1:9: .*The run and its verdict are unaffected/);
      expect(r.stderr).not.toContain('secret-9');
    } finally {
      await app.close();
    }
  });
});

describeWithTool('pushgateway', '--pushgateway to a real Prometheus Pushgateway', (pushgateway) => {
  it('lands in a real Prometheus Pushgateway', async () => {
    const probe = await recorder();
    const port = probe.port;
    await probe.close();
    // Debian's build persists to /var/lib/prometheus by default: a group left by an earlier run would pass this test.
    const gateway: ChildProcess = spawn(pushgateway, [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='], { stdio: 'ignore' });
    const app = await startTestApp({ secret: TEST_SECRET });
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor(async () => (await fetch(`${base}/-/ready`).catch(() => undefined))?.ok, 'the Pushgateway to be ready');
      const r = await runCli(['run', ...fastFlags(app.url), '--project', 'shop', '--env', 'staging', '--pushgateway', base, '--', process.execPath, '-e', ''], { cwd: tempDir(), env });
      expect(r.code).toBe(0);
      const exposed = await (await fetch(`${base}/metrics`)).text();
      expect(exposed).toContain('seqpulse_last_verdict{env="staging",instance="",job="seqpulse",project="shop",verdict="ok"} 1');
      expect(exposed).toContain('seqpulse_last_verdict{env="staging",instance="",job="seqpulse",project="shop",verdict="rollback_recommended"} 0');
      expect(exposed).toMatch(/seqpulse_metrics_collected_total\{[^}]*phase="pre"[^}]*\} 3/);
      const dots = await runCli(['run', ...fastFlags(app.url), '--project', '..', '--env', '.', '--pushgateway', base, '--', process.execPath, '-e', ''], { cwd: tempDir(), env });
      expect(dots.code).toBe(0);
      // push_time_seconds carries the group's labels only (those of the body are the run's anyway).
      expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^push_time_seconds\{env="\.",instance="",job="seqpulse",project="\.\."\} /m);
    } finally {
      gateway.kill();
      await app.close();
    }
  });
});
