/** The examples users copy must work: run them for real against the package's own signing. */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { signatureHeader, signRequest } from '../../src/signing/signature.js';
import { createDsMetricsSource } from '../../src/sources/ds-metrics.js';
// @ts-expect-error: a plain .mjs example without type declarations
import { verify } from '../../examples/node/verify-standalone.mjs';
import { freePort } from '../helpers/free-port.js';
import { describeWithTool } from '../helpers/system-tools.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('docs/signature.md test vectors', () => {
  const doc = readFileSync(`${root}docs/signature.md`, 'utf8');
  const rows = [...doc.matchAll(/^\| `([^`]+)` \| `([^`]+)` \| `(v1=[0-9a-f]{64})` \|$/gm)];

  it('every documented vector matches the signing code', () => {
    expect(rows.length).toBe(3);
    for (const [, secret, target, header] of rows) {
      expect(signatureHeader(secret!, { timestamp: 1700000000, nonce: '0123456789abcdef0123456789abcdef', method: 'GET', target: target! })).toBe(header);
    }
  });

  it('the Python verifier checks the same vectors (python3 examples/python/verify.py)', () => {
    const r = spawnSync('python3', ['examples/python/verify.py'], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ok:/);
  });
});

describe('examples/node/verify-standalone.mjs', () => {
  const target = '/ds-metrics?zone=eu';
  it('accepts what seqpulse signs, once', () => {
    const now = Date.now();
    const headers = signRequest(['new-secret', 'old-secret'], 'GET', target, now);
    expect(verify({ secrets: ['old-secret'], method: 'GET', target, headers, now })).toEqual({ ok: true });
    expect(verify({ secrets: ['old-secret'], method: 'GET', target, headers, now })).toEqual({ ok: false, reason: 'replayed_nonce' });
  });

  it('rejects a wrong secret, another target and a stale timestamp', () => {
    const now = Date.now();
    expect(verify({ secrets: ['x'], method: 'GET', target, headers: signRequest('y', 'GET', target, now), now }).reason).toBe('bad_signature');
    expect(verify({ secrets: ['x'], method: 'GET', target: '/other', headers: signRequest('x', 'GET', target, now), now }).reason).toBe('bad_signature');
    expect(verify({ secrets: ['x'], method: 'GET', target, headers: signRequest('x', 'GET', target, now - 301_000), now }).reason).toBe('stale_timestamp');
  });
});

describe('examples/node/ds-metrics-server.mjs', () => {
  it('serves its real metrics to seqpulse and refuses unsigned requests', async () => {
    // `import 'seqpulse'` resolves to this package itself (package.json "exports"), built by `npm test`.
    const child = spawn(process.execPath, ['examples/node/ds-metrics-server.mjs'], {
      cwd: root,
      env: { ...process.env, SEQPULSE_HMAC_SECRET: 'example-secret', PORT: '0', APP_VERSION: 'v7' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
        child.once('exit', (code) => reject(new Error(`example exited with ${code}`)));
        child.once('error', reject);
      });
      const origin = new URL(url).origin;
      const source = createDsMetricsSource({ endpoints: [url], secret: 'example-secret', timeoutMs: 2000, userAgent: 'seqpulse/test' });
      const collect = async () => (await source.collect({ phase: 'pre', deploymentId: 'example', deadline: Date.now() + 5000 }))[0]!;
      // No traffic yet: no error rate and no latency (never a made-up 0), but a traffic of 0.
      const idle = await collect();
      expect(idle).toMatchObject({ ok: true, http_status: 200 });
      expect(Object.keys(idle.metrics!).sort()).toEqual(['cpu_usage', 'memory_usage', 'requests_per_sec', 'version']);
      expect(idle.metrics!.requests_per_sec).toBe(0);

      for (let i = 0; i < 5; i++) expect((await fetch(`${origin}/`)).status).toBe(200);
      expect((await fetch(url)).status).toBe(401);

      const result = await collect();
      await source.close();
      expect(result).toMatchObject({ ok: true, http_status: 200 });
      expect(result.metrics).toMatchObject({ error_rate: 0, version: 'v7' });
      expect(result.metrics!.requests_per_sec).toBeCloseTo(5 / 60, 5);
      expect(typeof result.metrics!.latency_p95).toBe('number');
      // A share of memory (docs/integration.md: 0.41 = 41 %), not megabytes.
      expect(result.metrics!.memory_usage).toBeGreaterThan(0);
      expect(result.metrics!.memory_usage).toBeLessThan(1);
    } finally {
      child.kill();
    }
  });
});

describeWithTool('go', 'examples/go (Debian golang-go, `npm run test:deps`)', (go) => {
  const dir = `${root}examples/go`;
  const bin = join(tempDir(), 'ds-metrics-go');
  const goEnv = { ...process.env, GOCACHE: join(tempDir(), 'gocache'), GOFLAGS: '-mod=mod', CGO_ENABLED: '0' };

  it('builds, and its signing matches the documented test vectors', () => {
    const build = spawnSync(go, ['build', '-o', bin, '.'], { cwd: dir, env: goEnv, encoding: 'utf8' });
    if (build.error) throw build.error;
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
    const self = spawnSync(bin, ['-selftest'], { encoding: 'utf8' });
    expect(self.stdout).toBe('ok: 3 vectors\n');
  }, 120_000);

  it('answers seqpulse\'s signed requests, once each, and refuses a wrong secret', async () => {
    const port = await freePort();
    const child = spawn(bin, ['-addr', `127.0.0.1:${port}`], { env: { ...process.env, SEQPULSE_HMAC_SECRET: 'go-secret' }, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stderr!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
        child.once('exit', (code) => reject(new Error(`example exited with ${code}`)));
        child.once('error', reject);
      });
      const url = `http://127.0.0.1:${port}/ds-metrics?instance=a`;
      const good = createDsMetricsSource({ endpoints: [url], secret: ['rotated-out', 'go-secret'], timeoutMs: 2000, userAgent: 'seqpulse/test' });
      const [result] = await good.collect({ phase: 'pre', deploymentId: 'example', deadline: Date.now() + 5000 });
      await good.close();
      expect(result).toMatchObject({ ok: true, http_status: 200, metrics: { error_rate: 0.01, latency_p95: 120, memory_usage: 0.42 } });

      const headers = signRequest('go-secret', 'GET', '/ds-metrics?instance=a', Date.now());
      expect((await fetch(url, { headers })).status).toBe(200);
      expect(await (await fetch(url, { headers })).json()).toEqual({ error: 'replayed_nonce' });
      expect((await fetch(url, { headers: signRequest('wrong', 'GET', '/ds-metrics?instance=a', Date.now()) })).status).toBe(401);
      expect((await fetch(url, { headers: signRequest('go-secret', 'GET', '/ds-metrics?instance=b', Date.now()) })).status).toBe(401);
    } finally {
      child.kill();
    }
  });
});
