/** TLS: certificates are verified by default; --insecure is explicit and loud; a private CA is trusted with NODE_EXTRA_CA_CERTS. */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NonceCache, verifyRequest } from '../../src/signing/signature.js';
import { createDsMetricsSource } from '../../src/sources/ds-metrics.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { DEFAULT_METRICS, TEST_SECRET } from '../helpers/test-app.js';

const CERT = new URL('../fixtures/tls/cert.pem', import.meta.url);
const KEY = new URL('../fixtures/tls/key.pem', import.meta.url);

describe('TLS', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const nonces = new NonceCache();
    server = createServer({ cert: readFileSync(CERT), key: readFileSync(KEY) }, (req, res) => {
      const check = verifyRequest({ secret: TEST_SECRET, method: req.method!, target: req.url!, headers: req.headers, rememberNonce: nonces.remember });
      res.writeHead(check.ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(check.ok ? { metrics: DEFAULT_METRICS } : { error: check.reason }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/ds-metrics`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('an untrusted certificate is a clear, non-retried failure by default', async () => {
    const source = createDsMetricsSource({ endpoints: [url], secret: TEST_SECRET, timeoutMs: 2000, retries: 3, userAgent: 'seqpulse/test' });
    const [r] = await source.collect({ phase: 'pre', deploymentId: 'tls', deadline: Date.now() + 5000 });
    await source.close();
    expect(r).toMatchObject({ ok: false, attempts: 1 });
    expect(r!.error).toMatch(/TLS certificate not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\): .*NODE_EXTRA_CA_CERTS.*--insecure/);
  });

  it('--insecure works, with a loud warning; NODE_EXTRA_CA_CERTS trusts the CA without it', async () => {
    const env = { SEQPULSE_HMAC_SECRET: TEST_SECRET };
    const flags = ['--endpoint', url, '--pre-samples', '2', '--interval', '100ms', '--window', '500ms', '--timeout', '1s', '--json'];
    const strict = await runCli(['doctor', '--endpoint', url, '--timeout', '1s', '--retries', '0'], { cwd: tempDir(), env });
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/TLS certificate not trusted/);

    const insecure = await runCli(['run', ...flags, '--insecure', '--', process.execPath, '-e', ''], { cwd: tempDir(), env });
    expect(insecure.code).toBe(0);
    expect(JSON.parse(insecure.stdout).verdict).toBe('ok');
    expect(insecure.stderr).toMatch(/TLS certificate verification is OFF \(--insecure\)/);

    const trusted = await runCli(['run', ...flags, '--', process.execPath, '-e', ''], { cwd: tempDir(), env: { ...env, NODE_EXTRA_CA_CERTS: CERT.pathname } });
    expect(trusted.code).toBe(0);
    expect(JSON.parse(trusted.stdout).samples.failed).toBe(0);
    expect(trusted.stderr).not.toMatch(/--insecure/);
  });
});
