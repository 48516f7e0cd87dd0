/**
 * The settings a run is made with, as stored with it (never a secret, passwords masked), and the
 * way back: `finish` observes and judges with what `start` stored, unless flags or SEQPULSE_*
 * variables given to `finish` say otherwise (the config file is not re-read for them: `start`
 * resolved it then). Only settings whose MAC verifies (settings-mac.ts) are trusted that far:
 * otherwise `finish` takes their timing alone, and the rest from its own config.
 */
import { formatDuration } from '../config/duration.js';
import { windowIssue, type ResolvedConfig, type SourceConfig } from '../config/resolve.js';
import { SettingsSchema, type Settings } from '../config/schema.js';
import { byDoor, optionName } from '../config/names.js';
import { UsageError } from '../errors.js';
import { MASK, redactText } from '../redact.js';
import { shorten } from '../output/terminal.js';
import type { RunRecord, RunSettings, StoredSource } from '../store/types.js';
import type { Rules } from '../core/types.js';
import { checkSettings, settingsKeys, type SettingsCheck } from './settings-mac.js';

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

/**
 * What `finish` takes from stored settings it cannot authenticate (settings-mac.ts): how long and
 * how often it observes, validated like any setting. Nothing that chooses what runs, where a
 * request (and its token) goes, or how the verdict is decided.
 */
const TIMING: ReadonlySet<keyof Settings> = new Set(['interval', 'window', 'settle', 'persist']);

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

/** The config `finish` collects and judges with, a sentence saying where each setting came from, and whether the stored settings were authenticated. */
export interface FinishSettings {
  config: ResolvedConfig;
  note: string;
  check: SettingsCheck;
}

/**
 * `finish`'s config: the settings `start` stored when their MAC verifies with this command's
 * secret; otherwise only their timing, and everything else from this command's own config.
 * Flags and SEQPULSE_* given to `finish` override either.
 */
export function finishConfig(config: ResolvedConfig, run: RunRecord): FinishSettings {
  const check = checkSettings(run, settingsKeys(config));
  return { ...(check.verified ? fromVerified(config, run) : fromUnverified(config, run, check.reason)), check };
}

const list = (fields: StoredField[], config: ResolvedConfig) => fields.map((f) => f.shown(config)).join(', ');
const overriddenPart = (fields: StoredField[], config: ResolvedConfig) => `given to finish (${byDoor({ cli: 'flags', action: 'inputs' })} or SEQPULSE_*): ${list(fields, config)}`;

/** Each stored field into the config, unless given to finish or not `usable`: the merged config, and which field went where. */
function mergeStored(config: ResolvedConfig, stored: RunSettings, usable: (field: StoredField) => boolean) {
  const explicit = (key: keyof Settings) => (key === 'source' ? SOURCE_KEYS.some((k) => config.explicit.has(k)) : config.explicit.has(key));
  const used: StoredField[] = [];
  const overridden: StoredField[] = [];
  const left: StoredField[] = [];
  let merged: ResolvedConfig = { ...config };
  for (const field of FIELDS) {
    if (field.key === 'endpoints' && !byEndpoint(merged)) continue;
    if (explicit(field.key)) overridden.push(field);
    else if (usable(field)) {
      merged = { ...merged, ...field.apply(merged, stored) };
      used.push(field);
    } else left.push(field);
  }
  return { merged, used, overridden, left };
}

function fromVerified(config: ResolvedConfig, run: RunRecord): Omit<FinishSettings, 'check'> {
  const { merged, used, overridden, left: missing } = mergeStored(config, run.settings, (field) => field.stored(run.settings) !== undefined);
  // Rules have no flag or variable: the ones `start` resolved, when it stored them. Looked up by
  // metric names from outside, so kept without a prototype (`constructor` is a metric, not Object).
  if (run.settings.rules) merged.rules = Object.assign(Object.create(null) as Rules, run.settings.rules);
  const parts = [`finish uses the settings \`start\` stored for run ${run.id}: ${used.length > 0 ? list(used, merged) : 'none'}${run.settings.rules ? `, rules as resolved then (${Object.keys(run.settings.rules).length} metrics)` : ''}`];
  if (overridden.length > 0) parts.push(overriddenPart(overridden, merged));
  const notStored = [...missing.map((f) => f.shown(merged)), ...(run.settings.rules ? [] : ['rules'])];
  if (notStored.length > 0) parts.push(`not stored by start (an older seqpulse), so from this command's config: ${notStored.join(', ')}`);
  return { config: merged, note: `${parts.join('; ')}.` };
}

function fromUnverified(config: ResolvedConfig, run: RunRecord, reason: string): Omit<FinishSettings, 'check'> {
  const timing = storedTiming(run.settings, config);
  const { merged, used, overridden, left } = mergeStored(config, timing.settings, (field) => TIMING.has(field.key) && timing.valid.has(field.key));
  const ignored = left.filter((field) => field.stored(run.settings) !== undefined);
  const parts = [
    `finish does not trust the settings \`start\` stored for run ${run.id}: ${reason}`,
    `from them it takes only the timing: ${used.length > 0 ? list(used, merged) : 'none'}`,
  ];
  if (timing.invalid.length > 0) parts.push(`stored timing not used: ${timing.invalid.join('; ')}`);
  const rest = [...ignored.map((f) => f.shown(merged)), `rules (${Object.keys(merged.rules).length} metrics)`];
  parts.push(`the rest comes from this command's own config (${byDoor({ cli: 'flags', action: 'inputs' })}, SEQPULSE_*, seqpulse.yml), not from the store: ${rest.join(', ')}`);
  if (overridden.length > 0) parts.push(overriddenPart(overridden, merged));
  return { config: merged, note: `${parts.join('; ')}. To use all the stored settings, give finish the secret \`start\` had.` };
}

/**
 * What to do when `finish`'s own config lacks what the untrusted stored settings had: said with
 * the source `start` stored (so "no endpoint given" is not a puzzle for a command-source run).
 */
export function untrustedHint(run: RunRecord, reason: string): string {
  const type = storedSourceOf(run.settings)?.type;
  const stored = typeof type === 'string' ? ` (source ${shorten(type, 40)})` : '';
  return `The settings \`start\` stored for run ${run.id}${stored} were not used: ${reason}. Give finish these settings itself (${byDoor({ cli: 'flags', action: 'inputs' })}, SEQPULSE_* or seqpulse.yml), or the secret \`start\` had.`;
}

/**
 * The stored timing of a run whose settings are not authenticated, each value validated by the
 * settings schema (as if given as a flag: the interval at least 10ms) and together as a config is
 * (the window no shorter than the interval). Invalid values are not used, and said why.
 */
function storedTiming(settings: RunSettings, config: ResolvedConfig): { settings: RunSettings; valid: Set<keyof Settings>; invalid: string[] } {
  const asDuration = (ms: unknown) => (typeof ms === 'number' ? `${ms}ms` : ms);
  const raw: Record<string, unknown> = { interval: asDuration(settings.interval_ms), window: asDuration(settings.window_ms), persist: settings.persist };
  // null: the default settle, nothing to validate.
  if (settings.settle_ms !== null && settings.settle_ms !== undefined) raw.settle = asDuration(settings.settle_ms);
  const valid = new Set<keyof Settings>();
  const invalid: string[] = [];
  const parsed: Settings = {};
  for (const [key, value] of Object.entries(raw) as [keyof Settings, unknown][]) {
    if (value === undefined) continue;
    const result = SettingsSchema.safeParse({ [key]: value });
    if (result.success) {
      Object.assign(parsed, result.data);
      valid.add(key);
    } else invalid.push(`${key}: ${shorten(result.error.issues[0]?.message ?? 'invalid')}`);
  }
  if (settings.settle_ms === null) valid.add('settle');
  const interval = valid.has('interval') ? parsed.interval! : config.intervalMs;
  const window = valid.has('window') ? parsed.window! : config.windowMs;
  // Each valid alone (the interval's minimum is the schema's), they may still not fit together.
  if (windowIssue(interval, window)) {
    valid.delete('interval');
    valid.delete('window');
    invalid.push(`interval ${formatDuration(interval)} and window ${formatDuration(window)}: the window must be no shorter than the interval`);
  }
  return {
    settings: { ...settings, interval_ms: interval, window_ms: window, settle_ms: parsed.settle ?? null, persist: parsed.persist },
    valid,
    invalid,
  };
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
