/**
 * The settings a run is made with, as stored with it (never a secret, passwords masked), and the
 * way back: `finish` observes and judges with what `start` stored, unless flags or SEQPULSE_*
 * variables given to `finish` say otherwise (the config file is not re-read for them: `start`
 * resolved it then).
 */
import { formatDuration } from '../config/duration.js';
import type { ResolvedConfig, SourceConfig } from '../config/resolve.js';
import type { Settings } from '../config/schema.js';
import { byDoor, optionName } from '../config/names.js';
import { UsageError } from '../errors.js';
import { MASK, redactText } from '../redact.js';
import type { RunRecord, RunSettings, StoredSource } from '../store/types.js';

/** The settings as stored: endpoints and source with their passwords masked. */
export function settingsOf(config: ResolvedConfig): RunSettings {
  return {
    endpoints: sampledFrom(config).map((e) => redactText(e, config.redactions)),
    source: config.source.type,
    interval_ms: config.intervalMs,
    window_ms: config.windowMs,
    pre_samples: config.preSamples,
    timeout_ms: config.timeoutMs,
    settle_ms: config.settleMs ?? null,
    retries: config.retries,
    early_exit: config.earlyExit,
    persist: config.persist,
    on_endpoint_failure: config.onEndpointFailure,
    fail_on: config.failOn,
    dry_run: config.dryRun,
    baseline: config.baseline,
    history_runs: config.historyRuns,
    rules: config.rules,
    source_settings: storedSource(config.source, config.redactions),
  };
}

/** What is sampled, as shown: the endpoints, or the Prometheus server, the database, the command. */
export function sampledFrom(config: Pick<ResolvedConfig, 'source' | 'endpoints'>): string[] {
  const src = config.source;
  if (src.type === 'prometheus' || src.type === 'sql') return src.url ? [src.url] : [];
  if (src.type === 'command') return [`command: ${src.argv.join(' ')}`];
  return config.endpoints;
}

function storedSource(src: SourceConfig, redactions: string[]): StoredSource {
  const mask = (text: string) => redactText(text, redactions);
  // A query may quote a credential (a PromQL label, a SQL literal): masked like the rest.
  const masked = (queries: Record<string, string>) => Object.fromEntries(Object.entries(queries).map(([name, q]) => [name, mask(q)]));
  switch (src.type) {
    case 'ds-metrics':
      return { type: 'ds-metrics' };
    case 'prometheus-scrape':
      return { type: 'prometheus-scrape', queries: masked(src.queries) };
    case 'prometheus':
      return { type: 'prometheus', url: src.url && mask(src.url), queries: masked(src.queries) };
    case 'sql':
      return { type: 'sql', url: src.url && mask(src.url), queries: masked(src.queries), max_rows: src.maxRows, budget: src.budget };
    case 'command':
      return { type: 'command', argv: src.argv.map(mask) };
  }
}

/**
 * Sources that sample the app itself (its /ds-metrics or /metrics, or a command the user points at
 * it): their failures after the deploy are the app's. A Prometheus server or a database answers for
 * the app; its own outage says nothing about the deploy, so its failures stay missing samples.
 */
export function samplesTheApp(source: string | undefined): boolean {
  return source === undefined || source === 'ds-metrics' || source === 'prometheus-scrape' || source === 'command';
}

/** Settings keys that choose the source: any of them given to `finish` replaces the stored source. */
const SOURCE_KEYS: (keyof Settings)[] = ['source', 'queries', 'prometheus_url', 'sql_url', 'sql_max_rows', 'sql_budget', 'source_command'];

interface StoredField {
  key: keyof Settings;
  stored: (s: RunSettings) => unknown;
  apply: (c: ResolvedConfig, s: RunSettings) => Partial<ResolvedConfig>;
  shown: (c: ResolvedConfig) => string;
}

const seconds = (ms: number) => formatDuration(ms);

const FIELDS: StoredField[] = [
  { key: 'interval', stored: (s) => s.interval_ms, apply: (_, s) => ({ intervalMs: s.interval_ms }), shown: (c) => `interval ${seconds(c.intervalMs)}` },
  { key: 'window', stored: (s) => s.window_ms, apply: (_, s) => ({ windowMs: s.window_ms }), shown: (c) => `window ${seconds(c.windowMs)}` },
  { key: 'timeout', stored: (s) => s.timeout_ms, apply: (_, s) => ({ timeoutMs: s.timeout_ms }), shown: (c) => `timeout ${seconds(c.timeoutMs)}` },
  { key: 'settle', stored: (s) => s.settle_ms, apply: (_, s) => ({ settleMs: s.settle_ms ?? undefined }), shown: (c) => `settle ${c.settleMs === undefined ? 'default' : seconds(c.settleMs)}` },
  { key: 'retries', stored: (s) => s.retries, apply: (_, s) => ({ retries: s.retries! }), shown: (c) => `retries ${c.retries}` },
  { key: 'early_exit', stored: (s) => s.early_exit, apply: (_, s) => ({ earlyExit: s.early_exit! }), shown: (c) => `early exit ${c.earlyExit ? 'on' : 'off'}` },
  { key: 'persist', stored: (s) => s.persist, apply: (_, s) => ({ persist: s.persist! }), shown: (c) => `persist ${c.persist}` },
  { key: 'on_endpoint_failure', stored: (s) => s.on_endpoint_failure, apply: (_, s) => ({ onEndpointFailure: s.on_endpoint_failure! }), shown: (c) => `on_endpoint_failure ${c.onEndpointFailure}` },
  { key: 'fail_on', stored: (s) => s.fail_on, apply: (_, s) => ({ failOn: s.fail_on! }), shown: (c) => `fail_on ${c.failOn}` },
  { key: 'dry_run', stored: (s) => s.dry_run, apply: (_, s) => ({ dryRun: s.dry_run! }), shown: (c) => `dry run ${c.dryRun ? 'on' : 'off'}` },
  { key: 'baseline', stored: (s) => s.baseline, apply: (_, s) => ({ baseline: s.baseline! }), shown: (c) => `baseline ${c.baseline}` },
  { key: 'history_runs', stored: (s) => s.history_runs, apply: (_, s) => ({ historyRuns: s.history_runs! }), shown: (c) => `history runs ${c.historyRuns}` },
  {
    key: 'source',
    stored: storedSourceOf,
    apply: (c, s) => ({ source: sourceFrom(storedSourceOf(s)!, c) }),
    shown: (c) => `source ${c.source.type}`,
  },
  // Stored endpoints are what was sampled: the app's URLs only for the sources that sample the app by URL.
  { key: 'endpoints', stored: (s) => (s.endpoints.length > 0 ? s.endpoints : undefined), apply: (c, s) => ({ endpoints: storedEndpoints(c, s) }), shown: (c) => `${c.endpoints.length} endpoint(s)` },
];

/** The config `finish` collects and judges with, and a sentence saying where each setting came from. */
export function finishConfig(config: ResolvedConfig, run: RunRecord): { config: ResolvedConfig; note: string } {
  const explicit = (key: keyof Settings) => (key === 'source' ? SOURCE_KEYS.some((k) => config.explicit.has(k)) : config.explicit.has(key));
  const used: StoredField[] = [];
  const overridden: StoredField[] = [];
  const missing: StoredField[] = [];
  let merged: ResolvedConfig = { ...config };
  for (const field of FIELDS) {
    if (field.key === 'endpoints' && !byEndpoint(merged)) continue;
    if (explicit(field.key)) overridden.push(field);
    else if (field.stored(run.settings) === undefined) missing.push(field);
    else {
      merged = { ...merged, ...field.apply(merged, run.settings) };
      used.push(field);
    }
  }
  // Rules have no flag or variable: the ones `start` resolved, when it stored them.
  if (run.settings.rules) merged.rules = run.settings.rules;
  const list = (fields: StoredField[]) => fields.map((f) => f.shown(merged)).join(', ');
  const parts = [`finish uses the settings \`start\` stored for run ${run.id}: ${used.length > 0 ? list(used) : 'none'}${run.settings.rules ? `, rules as resolved then (${Object.keys(run.settings.rules).length} metrics)` : ''}`];
  if (overridden.length > 0) parts.push(`given to finish (${byDoor({ cli: 'flags', action: 'inputs' })} or SEQPULSE_*): ${list(overridden)}`);
  const notStored = [...missing.map((f) => f.shown(merged)), ...(run.settings.rules ? [] : ['rules'])];
  if (notStored.length > 0) parts.push(`not stored by start (an older seqpulse), so from this command's config: ${notStored.join(', ')}`);
  return { config: merged, note: `${parts.join('; ')}.` };
}

/** The stored source; a run stored before sources had settings of their own is fully described by a ds-metrics type. */
function storedSourceOf(settings: RunSettings): StoredSource | undefined {
  if (settings.source_settings) return settings.source_settings;
  return settings.source === undefined || settings.source === 'ds-metrics' ? { type: 'ds-metrics' } : undefined;
}

function byEndpoint(config: ResolvedConfig): boolean {
  return config.source.type === 'ds-metrics' || config.source.type === 'prometheus-scrape';
}

/**
 * The stored endpoints, unless a password was masked out of them: then the configured ones (the
 * config file may have them), or they must be given again.
 */
function storedEndpoints(config: ResolvedConfig, settings: RunSettings): string[] {
  if (!settings.endpoints.some((e) => e.includes(MASK))) return settings.endpoints;
  if (config.endpoints.length > 0) return config.endpoints;
  throw new UsageError('the endpoints stored with this run had credentials, which are never stored', `Pass the endpoints again (${optionName('endpoints')} or SEQPULSE_ENDPOINTS) to finish.`);
}

/** The stored source, with the token of this command's settings; a source whose password was masked is taken from this command's config. */
function sourceFrom(stored: StoredSource, config: ResolvedConfig): SourceConfig {
  if (JSON.stringify(stored).includes(MASK)) {
    if (config.source.type === stored.type) return config.source;
    throw new UsageError(`the ${stored.type} source stored with this run had credentials, which are never stored`, `Give the ${stored.type} source and its settings again (${optionName('source', stored.type)}, SEQPULSE_* or seqpulse.yml) to finish.`);
  }
  const token = config.sourceToken;
  switch (stored.type) {
    case 'ds-metrics':
      return { type: 'ds-metrics' };
    case 'prometheus-scrape':
      return { type: 'prometheus-scrape', queries: stored.queries, token };
    case 'prometheus':
      return { type: 'prometheus', url: stored.url, queries: stored.queries, token, preRangeMs: undefined };
    case 'sql':
      return { type: 'sql', url: stored.url, queries: stored.queries, maxRows: stored.max_rows, budget: stored.budget };
    case 'command':
      return { type: 'command', argv: stored.argv };
  }
}
