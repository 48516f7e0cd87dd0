/** The configured source: which kind of MetricSource a run samples through (`source:` / `--source`). */
import { sourceIssues, type ResolvedConfig } from '../config/resolve.js';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { checkScrapeExpression, createScrapeSource } from './prometheus/scrape.js';
import { createPrometheusSource } from './prometheus/server.js';
import { refusedQueries } from './sql-guard.js';
import { createCommandSource } from './command.js';
import { createDsMetricsSource } from './ds-metrics.js';
import { createSqlSource, READ_HINT } from './sql.js';
import type { BackfillRequest, EndpointResult, MetricSource } from './types.js';
import { redactText } from '../redact.js';
import { wellFormed } from '../unicode.js';
import { toMetricsRecord } from './metrics-record.js';
import { metricNames } from '../core/columns.js';

/**
 * The configured source, behind the one gate every result passes before it is stored, shown or
 * synced (guarded below).
 */
export function createSource(config: ResolvedConfig, userAgent: string): MetricSource {
  return guarded(sourceFor(config, userAgent), (text) => redactText(text, config.redactions), metricNames(config.rules));
}

function sourceFor(config: ResolvedConfig, userAgent: string): MetricSource {
  const { timeoutMs, retries } = config;
  const src = config.source;
  switch (src.type) {
    case 'ds-metrics':
      return createDsMetricsSource({ endpoints: config.endpoints, secret: config.secrets, timeoutMs, retries, userAgent, insecure: config.insecure });
    case 'sql':
      return createSqlSource({ url: src.url!, queries: src.queries, timeoutMs, maxRows: src.maxRows, budget: src.budget ?? defaultBudget(config, Object.keys(src.queries).length) });
    case 'command':
      return createCommandSource({ argv: src.argv, timeoutMs, retries, redactions: config.redactions });
    case 'prometheus-scrape':
      return createScrapeSource({ targets: config.endpoints, queries: src.queries, token: src.token, timeoutMs, retries, userAgent, insecure: config.insecure });
    case 'prometheus':
      return createPrometheusSource({ url: src.url!, queries: src.queries, token: src.token, timeoutMs, retries, userAgent, insecure: config.insecure });
  }
}

/** What the configured source needs to collect (endpoints and a secret for /ds-metrics...): reported together, before anything runs. */
export function requireCollection(config: ResolvedConfig): void {
  const issues = [...sourceIssues(config), ...queryIssues(config)];
  if (issues.length > 0) throw new ConfigError(issues, config.source.type === 'sql' ? READ_HINT : undefined);
}

/** Queries the source would refuse, found before anything runs (the source checks them again). */
export function queryIssues(config: ResolvedConfig): ConfigIssue[] {
  const src = config.source;
  if (src.type === 'sql') return refusedQueries(src.queries);
  if (src.type !== 'prometheus-scrape') return [];
  return Object.entries(src.queries).flatMap(([name, expression]) => {
    const reason = checkScrapeExpression(expression);
    return reason ? [{ source: 'settings', key: `queries.${name}`, reason }] : [];
  });
}

/**
 * Whatever a source returns, as the rest of seqpulse may take it: metrics as records with no
 * prototype (metrics-record.ts), text well-formed, and every secret seqpulse knows masked in every
 * form (a server or proxy may echo an `Authorization` header into a body or an error). Except the
 * names the judge reads (`judged`): masking is for what is shown, never a change to what is judged
 * (a store password `postgres` made `postgres_connections` a `***_connections` no rule named, and a
 * rollback `ok`). Those names are the user's own rules, not something a server echoed.
 */
export function guarded(source: MetricSource, scrub: (text: string) => string, judged: ReadonlySet<string> = new Set()): MetricSource {
  const clean = (r: EndpointResult): EndpointResult => {
    const out: EndpointResult = { ...r, endpoint: scrub(wellFormed(r.endpoint)) };
    if (r.metrics) out.metrics = toMetricsRecord(r.metrics, scrub, judged);
    if (r.error !== undefined) out.error = scrub(wellFormed(r.error));
    return out;
  };
  const backfill = source.backfill?.bind(source);
  return {
    collect: async (req) => (await source.collect(req)).map(clean),
    ...(backfill ? { backfill: async (req: BackfillRequest) => (await backfill(req)).map((step) => step.map(clean)) } : {}),
    close: () => source.close(),
  };
}

/** Twice what the run plans to send (PRE, POST, one spare tick), so retries fit and a runaway does not. */
function defaultBudget(config: ResolvedConfig, queries: number): number {
  return 2 * queries * (config.preSamples + Math.ceil(config.windowMs / config.intervalMs) + 1);
}
