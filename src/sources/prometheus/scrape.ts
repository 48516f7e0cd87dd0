/**
 * The `prometheus-scrape` source: reads the app's own `/metrics` page (Prometheus text or
 * OpenMetrics), no Prometheus server needed, and turns it into named metrics with the small
 * expression language of expression.ts. One EndpointResult per target per tick.
 *
 * Rates and quantiles need two scrapes. They are computed between successive successful scrapes
 * of the same target in the same phase, and of the same process where the page says when it
 * started (`process_start_time_seconds`), so the first tick of each phase carries the gauges only,
 * a POST rate never spans the deploy, and none spans two processes. Elapsed time is measured between the two scrapes' own
 * completion times.
 */
import { AuthError, UsageError } from '../../errors.js';
import type { Phase } from '../../core/types.js';
import { DEFAULT_BACKOFF } from '../backoff.js';
import { parseEndpoint } from '../endpoint.js';
import { getOnce, sourceAgent } from '../http-get.js';
import { abortableSleep, describeFailure, iso, positive, eachUntilAuthError, RetryAfterHolds, withRetries } from '../retrying.js';
import type { CollectRequest, EndpointResult, MetricSource } from '../types.js';
import { AUTH_HINT, authorization, scrubber, type PrometheusClientOptions } from './credentials.js';
import { evaluate, PROCESS_START, processKey, type Scrape } from './evaluate.js';
import { ExpositionError, parseExposition, type Exposition } from './exposition.js';
import { ExpressionError, parseExpression, type Expr } from './expression.js';
import { metricsRecord } from '../metrics-record.js';
import { steadyNow } from '../../sampling/clock.js';
import { utf8Body } from '../../unicode.js';

export interface ScrapeOptions extends PrometheusClientOptions {
  /** The app's /metrics URLs (Prometheus text exposition 0.0.4 or OpenMetrics 1.0); one EndpointResult per target per tick. */
  targets: string[];
  /** Derived metric name -> expression in the documented mini-language (expression.ts, docs/sources.md). */
  queries: Record<string, string>;
}

/** Processes a target's last pages are kept for (evicting the one seen longest ago). */
const MAX_PROCESSES = 8;
/** Big apps expose thousands of series; a page this large is a misconfiguration, not a scrape. */
const MAX_PAGE_BYTES = 16 * 1024 * 1024;
/** What Prometheus itself asks for: OpenMetrics preferred, the text format accepted. */
const ACCEPT = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** Config-time check of one expression: undefined when valid, else a clear reason with the position. */
export function checkScrapeExpression(expression: string): string | undefined {
  try {
    parseExpression(expression);
    return undefined;
  } catch (err) {
    if (err instanceof ExpressionError) return err.message;
    throw err;
  }
}

export function createScrapeSource(opts: ScrapeOptions): MetricSource {
  const targets = opts.targets.map(parseEndpoint);
  if (targets.length === 0) throw new UsageError('prometheus-scrape needs at least one target URL', 'Set endpoints: [http://app:9100/metrics].');
  const queries = compileQueries(opts.queries);
  // Only the samples the queries read (and the process start, processKey) are kept of a page.
  const needed = new Set([PROCESS_START, ...queries.flatMap(([, expr]) => sampleNames(expr))]);
  const keep = (name: string) => needed.has(name);
  const timeoutMs = positive(opts.timeoutMs, 'timeoutMs');
  const retries = Math.max(0, Math.floor(opts.retries));
  const scrub = scrubber(opts.token, opts.targets);
  const agent = sourceAgent({ timeoutMs, insecure: opts.insecure });
  const closing = new AbortController();
  /**
   * The last successful scrape of each target, per phase and per process (evaluate.ts, processKey):
   * what the next rate is taken against. Behind one URL, each process's rate is taken against its
   * own last page, however many ticks ago (a correct rate of that process).
   */
  const previous = targets.map(() => new Map<Phase, Map<string, Scrape>>());
  // A target that answered 429 (or 503) with Retry-After is left alone until then, across ticks.
  const holds = new RetryAfterHolds<number>(steadyNow, abortableSleep);

  async function scrapeTarget(index: number, req: CollectRequest, signal: AbortSignal): Promise<EndpointResult> {
    const target = targets[index]!;
    const headers = { accept: ACCEPT, 'user-agent': opts.userAgent, ...authorization(target, opts.token) };
    const held = await holds.before(index, req, req.deadline, signal);
    if (held) return { endpoint: target.display, ok: false, attempts: 0, taken_at: iso(Date.now()), ...held };
    const { last, attempts, at } = await withRetries(
      async (budgetMs) => {
        const outcome = await getOnce({ dispatcher: agent, origin: target.origin, path: target.target, headers, timeoutMs: budgetMs, maxBodyBytes: MAX_PAGE_BYTES, now: Date.now, signal });
        if (outcome.kind !== 'ok') return outcome;
        const page = decodePage(outcome.body, outcome.contentType, keep);
        if (typeof page === 'string') return { kind: 'failed' as const, error: page, status: outcome.status, retryable: true, latencyMs: outcome.latencyMs };
        return { kind: 'ok' as const, status: outcome.status, page, latencyMs: outcome.latencyMs };
      },
      { deadline: req.deadline, timeoutMs, retries, signal, now: steadyNow, random: Math.random, sleep: abortableSleep, backoff: DEFAULT_BACKOFF, pause: holds.gate(index, req) },
    );
    if (last?.kind === 'auth') throw new AuthError(target.display, last.status, AUTH_HINT);
    if (last?.kind !== 'ok') {
      const failure = describeFailure(last, signal);
      return { endpoint: target.display, ok: false, attempts, taken_at: iso(at), ...failure, error: scrub(failure.error) };
    }
    const current: Scrape = { exposition: last.page, takenAt: at };
    const byPhase = previous[index]!;
    // A rate never spans two phases: the pages of the phase before are not needed again.
    for (const phase of byPhase.keys()) if (phase !== req.phase) byPhase.delete(phase);
    const pages = byPhase.get(req.phase) ?? new Map<string, Scrape>();
    byPhase.set(req.phase, pages);
    const started = processKey(last.page);
    // A process seen for the first time (a new one, this one restarted) has nothing to take a rate against: gauges only.
    const metrics = derive(queries, current, pages.get(started));
    pages.delete(started);
    pages.set(started, current);
    // The processes behind one URL are a handful; pages of processes long gone are not kept (a page may be megabytes).
    if (pages.size > MAX_PROCESSES) pages.delete(pages.keys().next().value!);
    return { endpoint: target.display, ok: true, metrics, http_status: last.status, attempts, latency_ms: last.latencyMs, taken_at: iso(at) };
  }

  return {
    async collect(req: CollectRequest): Promise<EndpointResult[]> {
      if (closing.signal.aborted) throw new Error('the prometheus-scrape source is closed');
      const indexes = targets.map((_, i) => i);
      return eachUntilAuthError(indexes, (i, signal) => scrapeTarget(i, req, signal), [closing.signal, req.signal]);
    },
    async close(): Promise<void> {
      if (closing.signal.aborted) return;
      closing.abort(new Error('source closed'));
      await agent.destroy();
    },
  };
}

function compileQueries(queries: Record<string, string>): Array<[string, Expr]> {
  const entries = Object.entries(queries);
  if (entries.length === 0) throw new UsageError('prometheus-scrape needs at least one query', 'Add queries: {error_rate: "rate(errors_total) / rate(requests_total)"}.');
  return entries.map(([name, expression]) => {
    try {
      return [name, parseExpression(expression)];
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      throw new UsageError(`query ${name}: ${err.message} in ${JSON.stringify(expression)}`, 'See docs/sources.md, "prometheus-scrape expressions".');
    }
  });
}

function derive(queries: ReadonlyArray<[string, Expr]>, current: Scrape, previous: Scrape | undefined): Record<string, unknown> {
  const metrics = metricsRecord();
  for (const [name, expr] of queries) {
    const value = evaluate(expr, current, previous);
    if (value !== undefined) metrics[name] = value;
  }
  return metrics;
}

/** The names of the samples an expression reads (a quantile reads its histogram's `_bucket` samples). */
function sampleNames(expr: Expr): string[] {
  switch (expr.kind) {
    case 'number':
      return [];
    case 'gauge':
    case 'rate':
      return [expr.selector.name];
    case 'quantile':
      return [`${expr.selector.name}_bucket`];
    case 'binary':
      return [...sampleNames(expr.left), ...sampleNames(expr.right)];
  }
}

function decodePage(body: Buffer, contentType: string | undefined, keep: (name: string) => boolean): Exposition | string {
  // Both formats are UTF-8; a byte that is not would have become U+FFFD in a label value no query matches.
  const decoded = utf8Body(body);
  if (!('text' in decoded)) return `malformed metrics page: ${decoded.reason}`;
  try {
    return parseExposition(decoded.text, /openmetrics/i.test(contentType ?? ''), keep);
  } catch (err) {
    if (err instanceof ExpositionError) return `malformed metrics page: ${err.message}`;
    throw err;
  }
}
