/**
 * The `prometheus` source: one PromQL query per metric against a Prometheus server's HTTP API.
 * `collect` runs one instant query per metric, all at once, and returns one EndpointResult for the
 * server; `backfill` runs one range query per metric over the recent past, so PRE needs no wait.
 *
 * A sample is `ok` when at least one metric has a value. Everything else that is worth knowing
 * but does not fail the sample (a metric with an empty result, NaN, several series; a failed
 * query; the server's warnings and infos) goes, one `metric: reason` per entry, into
 * `EndpointResult.error`, which is stored with the sample. 401/403 throws AuthError; a rejected
 * query (400/422) is not retried and names the metric and the query; 5xx, 429 and timeouts are
 * retried inside the tick's deadline, honouring Retry-After.
 */
import { AuthError, UsageError } from '../../errors.js';
import { DEFAULT_BACKOFF } from '../backoff.js';
import { parseEndpoint } from '../endpoint.js';
import { getOnce, sourceAgent, type GetOutcome } from '../http-get.js';
import { abortableSleep, describeFailure, eachUntilAuthError, iso, positive, RetryAfterHolds, withRetries, type Tick } from '../retrying.js';
import type { BackfillRequest, CollectRequest, EndpointResult, MetricSource } from '../types.js';
import { decodeApiBody, instantValue, MAX_RANGE_STEPS, rangeValues } from './api-response.js';
import { AUTH_HINT, authorization, scrubber, type PrometheusClientOptions } from './credentials.js';
import { metricsRecord } from '../metrics-record.js';
import { steadyNow } from '../../sampling/clock.js';

export interface PrometheusOptions extends PrometheusClientOptions {
  /** The server's base URL (`http://prometheus:9090`, or with a path prefix); userinfo is sent as basic auth. */
  url: string;
  /** Metric name -> PromQL returning one number: a scalar or a one-series vector (several series: absent, see api-response.ts). */
  queries: Record<string, string>;
}

/** Answers to one-number queries are small; a range query over 30 min at 1 s is ~100 KiB. */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;
/** Enough of an error answer to read Prometheus' explanation of a rejected query. */
const ERROR_BODY_BYTES = 16 * 1024;

/** What one query gave: its data on success, else a reason; `notes` are warnings and infos either way. */
interface QueryAnswer {
  metric: string;
  data?: unknown;
  failure?: { error: string; http_status?: number };
  notes: string[];
  attempts: number;
  latencyMs?: number;
}

export function createPrometheusSource(opts: PrometheusOptions): MetricSource & { backfill(req: BackfillRequest): Promise<EndpointResult[][]> } {
  const server = parseEndpoint(opts.url);
  const apiBase = `${new URL(server.origin + server.target).pathname.replace(/\/+$/, '')}/api/v1`;
  const queries = Object.entries(opts.queries);
  if (queries.length === 0) throw new UsageError('the prometheus source needs at least one query', 'Add queries: {error_rate: "sum(rate(http_requests_total{status=~\\"5..\\"}[1m])) / sum(rate(http_requests_total[1m]))"}.');
  for (const [metric, query] of queries) {
    if (typeof query !== 'string' || query.trim() === '') throw new UsageError(`query ${metric}: the PromQL is empty`);
  }
  const timeoutMs = positive(opts.timeoutMs, 'timeoutMs');
  const retries = Math.max(0, Math.floor(opts.retries));
  const scrub = scrubber(opts.token, [opts.url]);
  const headers = { accept: 'application/json', 'user-agent': opts.userAgent, ...authorization(server, opts.token) };
  const agent = sourceAgent({ timeoutMs, insecure: opts.insecure });
  const closing = new AbortController();
  // A server that answered 429 (or 503) with Retry-After is asked nothing until then, across ticks.
  const holds = new RetryAfterHolds<'server'>(steadyNow, abortableSleep);

  async function ask(metric: string, query: string, endpoint: 'query' | 'query_range', params: Record<string, string>, tick: Tick, deadline: number, signal: AbortSignal): Promise<QueryAnswer> {
    let notes: string[] = [];
    const held = await holds.before('server', tick, deadline, signal);
    if (held) return { metric, failure: held, notes, attempts: 0 };
    const { last, attempts } = await withRetries(
      async (budgetMs) => {
        // Prometheus stops evaluating at `timeout`, instead of working on for an answer nobody reads.
        const search = new URLSearchParams({ query, ...params, timeout: `${Math.max(1, Math.floor(budgetMs / 1000))}s` });
        const path = `${apiBase}/${endpoint}?${search}`;
        const answer = readAnswer(scrub, await getOnce({ dispatcher: agent, origin: server.origin, path, headers, timeoutMs: budgetMs, maxBodyBytes: MAX_ANSWER_BYTES, errorBodyBytes: ERROR_BODY_BYTES, now: Date.now, signal }));
        notes = answer.notes;
        return answer.outcome;
      },
      { deadline, timeoutMs, retries, signal, now: steadyNow, random: Math.random, sleep: abortableSleep, backoff: DEFAULT_BACKOFF, pause: holds.gate('server', tick) },
    );
    if (last?.kind === 'auth') throw new AuthError(server.display, last.status, AUTH_HINT);
    if (last?.kind === 'ok') return { metric, data: last.data, notes, attempts, latencyMs: last.latencyMs };
    const failure = describeFailure(last, signal);
    return { metric, failure: { error: explain(failure.error, failure.http_status, query), ...(failure.http_status === undefined ? {} : { http_status: failure.http_status }) }, notes, attempts, ...(failure.latency_ms === undefined ? {} : { latencyMs: failure.latency_ms }) };
  }

  function askAll(endpoint: 'query' | 'query_range', params: Record<string, string>, tick: Tick, deadline: number, signal: AbortSignal | undefined): Promise<QueryAnswer[]> {
    return eachUntilAuthError(queries, ([metric, query], s) => ask(metric, query, endpoint, params, tick, deadline, s), [closing.signal, signal]);
  }

  /** One sample from the answers' values at one time. */
  function sample(answers: QueryAnswer[], valueOf: (a: QueryAnswer) => { value?: number; note?: string }, takenAt: number): EndpointResult {
    const metrics = metricsRecord();
    const notes: string[] = [];
    for (const a of answers) {
      if (a.failure) notes.push(`${a.metric}: ${a.failure.error}`);
      else {
        const { value, note } = valueOf(a);
        if (value !== undefined) metrics[a.metric] = value;
        if (note) notes.push(`${a.metric}: ${note}`);
      }
      notes.push(...a.notes.map((n) => `${a.metric}: ${n}`));
    }
    const ok = Object.keys(metrics).length > 0;
    const result: EndpointResult = { endpoint: server.display, ok, attempts: Math.max(...answers.map((a) => a.attempts)), taken_at: iso(takenAt) };
    if (ok) result.metrics = metrics;
    const status = ok ? 200 : answers.find((a) => a.failure?.http_status !== undefined)?.failure?.http_status;
    if (status !== undefined) result.http_status = status;
    const latencies = answers.flatMap((a) => (a.latencyMs === undefined ? [] : [a.latencyMs]));
    if (latencies.length > 0) result.latency_ms = Math.max(...latencies);
    if (notes.length > 0) result.error = scrub(notes.join('; '));
    else if (!ok) result.error = 'no metric has a value';
    return result;
  }

  return {
    async collect(req: CollectRequest): Promise<EndpointResult[]> {
      if (closing.signal.aborted) throw new Error('the prometheus source is closed');
      const answers = await askAll('query', {}, req, req.deadline, req.signal);
      return [sample(answers, (a) => instantValue(a.data), Date.now())];
    },

    async backfill(req: BackfillRequest): Promise<EndpointResult[][]> {
      if (closing.signal.aborted) throw new Error('the prometheus source is closed');
      const step = positive(req.stepMs, 'stepMs');
      // Steps end exactly at `now`, so the newest backfilled sample is as fresh as a live one.
      const end = Math.floor(req.now);
      const count = Math.floor(Math.max(0, req.rangeMs) / step);
      // Checked with the config (sourceIssues); here too, as each step is a sample held in memory.
      if (count > MAX_RANGE_STEPS) throw new UsageError(`pre_range holds ${count} steps of the interval; Prometheus answers at most ${MAX_RANGE_STEPS}`, 'Shorten pre_range or lengthen the interval.');
      const start = end - count * step;
      const params = { start: seconds(start), end: seconds(end), step: seconds(step) };
      // One tick of PRE: its queries share a pause like any tick's.
      const answers = await askAll('query_range', params, { phase: 'pre' }, req.deadline, req.signal);
      const series = new Map(answers.map((a) => [a, a.failure ? undefined : rangeValues(a.data)]));
      const samples: EndpointResult[][] = [];
      for (let k = 0; k <= count; k++) {
        const at = start + k * step;
        samples.push([sample(answers, (a) => atStep(series.get(a), at, k === 0), at)]);
      }
      return samples;
    },

    async close(): Promise<void> {
      if (closing.signal.aborted) return;
      closing.abort(new Error('source closed'));
      await agent.destroy();
    },
  };
}

/** A series' value at one step; a note about the whole series is told once, on the first step. */
function atStep(values: ReturnType<typeof rangeValues> | undefined, at: number, first: boolean): { value?: number; note?: string } {
  const value = values?.points.get(at);
  const note = first ? values?.note : undefined;
  return { ...(value === undefined ? {} : { value }), ...(note === undefined ? {} : { note }) };
}

type AnswerOutcome = Exclude<GetOutcome, { kind: 'ok' }> | { kind: 'ok'; data: unknown; latencyMs: number };

/**
 * A transport outcome read as an API answer; on an error answer, the server's own explanation
 * (masked by `scrub`, and cut) replaces a bare `HTTP 400`.
 */
function readAnswer(scrub: (text: string) => string, outcome: GetOutcome): { outcome: AnswerOutcome; notes: string[] } {
  if (outcome.kind === 'failed' && outcome.body) {
    const explained = decodeApiBody(outcome.body, scrub);
    if (typeof explained !== 'string' && explained.status === 'error') {
      return { outcome: { ...outcome, error: `${outcome.error} ${explained.errorType}: ${explained.error}` }, notes: explained.notes };
    }
  }
  if (outcome.kind !== 'ok') return { outcome, notes: [] };
  const body = decodeApiBody(outcome.body, scrub);
  const { status, latencyMs } = outcome;
  if (typeof body === 'string') return { outcome: { kind: 'failed', error: `malformed answer: ${body}`, status, retryable: true, latencyMs }, notes: [] };
  if (body.status === 'error') return { outcome: { kind: 'failed', error: `${body.errorType}: ${body.error}`, status, retryable: false, latencyMs }, notes: body.notes };
  return { outcome: { kind: 'ok', data: body.data, latencyMs }, notes: body.notes };
}

/** Failures that will not go away by retrying get what to do next. */
function explain(error: string, status: number | undefined, query: string): string {
  // 400 bad_data / 422 execution: the server refused this query and will refuse it again.
  if (status === 400 || status === 422) return `query rejected (${error}). Fix the PromQL: ${query}`;
  if (status === 404) return `${error}: no Prometheus API here; prometheus_url must be the server's base URL (http://prometheus:9090)`;
  return error;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}
