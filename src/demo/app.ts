/**
 * The example app `seqpulse demo` runs in-process: a signed `/ds-metrics` endpoint on a free
 * loopback port, with realistic, seeded noise, and a "deploy" hook that switches its version.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NonceCache, verifyRequest } from '../signing/signature.js';

export type DemoVersion = 'v1' | 'v2-healthy' | 'v2-regressed';
const VERSIONS: readonly DemoVersion[] = ['v1', 'v2-healthy', 'v2-regressed'];

export interface DemoApp {
  /** Full URL of the signed metrics endpoint. */
  url: string;
  /** `POST <origin>/_demo/deploy?version=...` switches versions: what the demo's deploy command calls. */
  setVersion(version: DemoVersion): void;
  version(): DemoVersion;
  close(): Promise<void>;
}

/** Small seeded PRNG (mulberry32), so the demo tells the same story every time. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One metrics snapshot of the app at `version`, with a few percent of noise from `rand`. */
export function demoMetrics(version: DemoVersion, rand: () => number): Record<string, unknown> {
  const noise = (value: number, pct = 0.04) => value * (1 + (rand() * 2 - 1) * pct);
  const bad = version === 'v2-regressed';
  return {
    error_rate: Number(noise(bad ? 0.06 : 0.004, 0.15).toFixed(5)),
    latency_p95: Math.round(noise(bad ? 216 : 120)),
    latency_p99: Math.round(noise(bad ? 400 : 210)),
    cpu_usage: Number(noise(bad ? 0.49 : 0.35).toFixed(3)),
    // A share of the memory available (0.42 = 42 %), as docs/integration.md asks, never megabytes.
    memory_usage: Number(noise(0.42, 0.02).toFixed(4)),
    requests_per_sec: Math.round(noise(240)),
    db_connections: Math.round(noise(18, 0.08)),
    version: version === 'v1' ? 'v1' : 'v2',
  };
}

export async function startDemoApp(opts: { secret: string; seed?: number }): Promise<DemoApp> {
  let version: DemoVersion = 'v1';
  const rand = seededRandom(opts.seed ?? 42);
  const nonces = new NonceCache();
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://demo.local');
    if (req.method === 'GET' && url.pathname === '/ds-metrics') {
      const check = verifyRequest({ secret: opts.secret, method: 'GET', target: req.url ?? '', headers: req.headers, rememberNonce: nonces.remember });
      if (!check.ok) return send(res, 401, { error: check.reason });
      return send(res, 200, { metrics: demoMetrics(version, rand) });
    }
    if (req.method === 'POST' && url.pathname === '/_demo/deploy') {
      const next = url.searchParams.get('version') as DemoVersion | null;
      if (!next || !VERSIONS.includes(next)) return send(res, 400, { error: `version must be one of ${VERSIONS.join(', ')}` });
      version = next;
      return send(res, 200, { version });
    }
    if (url.pathname === '/healthz') return send(res, 200, { ok: true, version });
    send(res, 404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ds-metrics`,
    setVersion: (v) => void (version = v),
    version: () => version,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
