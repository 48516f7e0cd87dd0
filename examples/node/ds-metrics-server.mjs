// A plain Node app (no framework) exposing a signed /ds-metrics endpoint for seqpulse, with its
// own real metrics. Run: SEQPULSE_HMAC_SECRET=... PORT=8080 node ds-metrics-server.mjs
import { createServer } from 'node:http';
import { totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { NonceCache, verifyRequest } from 'seqpulse';

const secret = process.env.SEQPULSE_HMAC_SECRET;
if (!secret) {
  console.error('Set SEQPULSE_HMAC_SECRET');
  process.exit(2);
}
const nonces = new NonceCache();

// Sliding window of the last 60 s of requests: [time, durationMs, failed].
const WINDOW_MS = 60_000;
const requests = [];
let cpuBefore = process.cpuUsage();
let cpuAt = performance.now();

function record(start, failed) {
  const now = performance.now();
  requests.push([now, now - start, failed]);
  while (requests.length > 0 && requests[0][0] < now - WINDOW_MS) requests.shift();
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function metrics() {
  const now = performance.now();
  const recent = requests.filter(([t]) => t >= now - WINDOW_MS);
  const durations = recent.map(([, d]) => d).sort((a, b) => a - b);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuShare = (cpu.user + cpu.system) / 1000 / Math.max(1, now - cpuAt); // share of one core since the last scrape
  cpuBefore = process.cpuUsage();
  cpuAt = now;
  return {
    // No request in the window: no error rate and no latency at all. A 0 would read as "measured,
    // and perfect"; a metric left out reads as "unknown" (docs/integration.md).
    ...(recent.length === 0
      ? {}
      : {
          error_rate: recent.filter(([, , failed]) => failed).length / recent.length,
          latency_p95: percentile(durations, 0.95),
          latency_p99: percentile(durations, 0.99),
        }),
    cpu_usage: Number(cpuShare.toFixed(4)),
    // A share (0.42 = 42 %), not megabytes: of the machine's memory here; in a container, of its limit.
    memory_usage: Number((process.memoryUsage().rss / totalmem()).toFixed(4)),
    requests_per_sec: recent.length / (WINDOW_MS / 1000),
    version: process.env.APP_VERSION ?? 'dev', // non-numeric fields are stored, never judged
  };
}

const server = createServer((req, res) => {
  if (req.url?.split('?')[0] === '/ds-metrics') {
    // Verify against the target exactly as received (path and query), never a re-built URL.
    const check = verifyRequest({ secret, method: req.method ?? 'GET', target: req.url, headers: req.headers, rememberNonce: nonces.remember });
    res.setHeader('content-type', 'application/json');
    if (!check.ok) {
      res.statusCode = 401;
      return res.end(JSON.stringify({ error: check.reason }));
    }
    return res.end(JSON.stringify({ metrics: metrics() }));
  }
  // Your application's routes; every request is measured.
  const start = performance.now();
  res.on('finish', () => record(start, res.statusCode >= 500));
  res.end('hello\n');
});

server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`http://${address}:${port}/ds-metrics`);
});
