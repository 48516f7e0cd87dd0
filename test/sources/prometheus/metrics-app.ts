/**
 * A real app instrumented with prom-client, for the prometheus sources' tests: node:http on
 * 127.0.0.1 (random port). `GET /work?status=500&seconds=0.12` is one request the app handles:
 * it counts `http_requests_total{status}` and observes `http_request_duration_seconds` with the
 * latency given, so a test knows the exact truth. `GET /metrics` serves the registry (text
 * format, or OpenMetrics with `openMetrics: true`). `restart()` re-creates the registry, the
 * way a restarted process starts its counters from zero.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, linearBuckets, Registry, type RegistryContentType } from 'prom-client';

export interface MetricsAppOptions {
  openMetrics?: boolean;
  /** When set, /metrics answers 401 unless `Authorization` is exactly this. */
  requireAuthorization?: string;
  /** When set, the page exposes `process_start_time_seconds` (as client libraries do) with this value; a restart moves it on by 100 s. */
  processStart?: number;
}

export interface MetricsApp {
  /** Base URL (`http://127.0.0.1:port`). */
  url: string;
  metricsUrl: string;
  /** Headers of every /metrics request, in order. */
  scrapes: IncomingHttpHeaders[];
  /** Serve this body (200) from /metrics instead of the registry, until set back to undefined. */
  override: { body: string | Buffer; status: number; headers?: Record<string, string> } | undefined;
  /** Requests handled by the app itself (not /metrics). */
  served(): number;
  /** Sends `n` real requests to /work; `status(i)` and `seconds(i)` describe request i. */
  drive(n: number, status: (i: number) => number, seconds: (i: number) => number): Promise<void>;
  setInflight(value: number): void;
  restart(): void;
  close(): Promise<void>;
}

/** 10 ms wide buckets up to 1 s: the quantile error is at most one bucket width. */
export const LATENCY_BUCKETS = linearBuckets(0.01, 0.01, 100);

function instrument(openMetrics: boolean, processStart?: number) {
  const registry = new Registry<RegistryContentType>();
  if (openMetrics) registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  if (processStart !== undefined) new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.', registers: [registry] }).set(processStart);
  return {
    registry,
    requests: new Counter({ name: 'http_requests_total', help: 'Requests handled.', labelNames: ['status'], registers: [registry] }),
    duration: new Histogram({ name: 'http_request_duration_seconds', help: 'Request latency.', labelNames: ['route'], buckets: LATENCY_BUCKETS, registers: [registry] }),
    inflight: new Gauge({ name: 'http_requests_in_flight', help: 'Requests in flight.', registers: [registry] }),
  };
}

export async function startMetricsApp(opts: MetricsAppOptions = {}): Promise<MetricsApp> {
  let started = opts.processStart;
  let m = instrument(opts.openMetrics ?? false, started);
  let served = 0;
  const scrapes: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/work') {
      served++;
      const status = Number(url.searchParams.get('status') ?? 200);
      m.requests.inc({ status: String(status) });
      m.duration.observe({ route: '/work' }, Number(url.searchParams.get('seconds') ?? 0));
      res.writeHead(status).end();
      return;
    }
    if (url.pathname !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    scrapes.push(req.headers);
    if (opts.requireAuthorization !== undefined && req.headers.authorization !== opts.requireAuthorization) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized');
      return;
    }
    if (app.override) {
      res.writeHead(app.override.status, { 'content-type': 'text/plain', ...app.override.headers }).end(app.override.body);
      return;
    }
    m.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': m.registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const app: MetricsApp = {
    url,
    metricsUrl: `${url}/metrics`,
    scrapes,
    override: undefined,
    served: () => served,
    async drive(n, status, seconds) {
      // Batches of 20 in parallel: real requests, without opening hundreds of sockets at once.
      for (let from = 0; from < n; from += 20) {
        const batch = Array.from({ length: Math.min(20, n - from) }, (_, k) => from + k);
        await Promise.all(
          batch.map(async (i) => {
            const res = await fetch(`${url}/work?status=${status(i)}&seconds=${seconds(i)}`);
            await res.arrayBuffer();
          }),
        );
      }
    },
    setInflight: (value) => m.inflight.set(value),
    restart: () => {
      started = started === undefined ? undefined : started + 100;
      m = instrument(opts.openMetrics ?? false, started);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return app;
}
