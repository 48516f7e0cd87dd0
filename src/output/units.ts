/**
 * The unit of a metric's values, for chart axes: the default metrics' units as docs/integration.md
 * asks apps to report them, else what a conventional name suffix says (Prometheus naming), else
 * nothing (the values are shown as reported).
 */
const KNOWN: Record<string, string> = {
  error_rate: 'share of requests (0.01 = 1%)',
  latency_p95: 'ms',
  latency_p99: 'ms',
  requests_per_sec: 'requests/s',
  cpu_usage: 'share of a core',
  memory_usage: 'share of memory',
  db_connections: 'connections',
};

const SUFFIXES: [RegExp, string][] = [
  [/_(ms|milliseconds)$/, 'ms'],
  [/_seconds$/, 's'],
  [/_bytes$/, 'bytes'],
  [/_(per_sec|per_second|rps)$/, 'per second'],
  [/_(ratio|rate|share)$/, 'share (0.01 = 1%)'],
  [/_(percent|pct)$/, '%'],
  [/_total$/, 'count since process start'],
];

export function unitOf(metric: string): string | undefined {
  if (Object.hasOwn(KNOWN, metric)) return KNOWN[metric];
  return SUFFIXES.find(([pattern]) => pattern.test(metric))?.[1];
}
