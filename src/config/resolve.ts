/**
 * Merging the layers: flags > environment (SEQPULSE_*) > config file (with its per-environment
 * overrides) > defaults. Pure: the file is read by file.ts, the environment is passed in.
 */
import type { z } from 'zod';
import { DEFAULT_PERSIST } from '../core/early.js';
import { metricNames } from '../core/columns.js';
import { DEFAULT_RULES, rule } from '../core/rules.js';
import type { OnEndpointFailure } from '../core/outage.js';
import type { MetricRule, Rules } from '../core/types.js';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { tokenSecrets, urlSecrets } from '../redact.js';
import type { ConfigFile } from './file.js';
import { closestNames, didYouMean } from '../suggest.js';
import { formatDuration } from './duration.js';
import { MAX_RANGE_STEPS } from '../sources/prometheus/api-response.js';
import { doorLayer, ENV_VARS, FLAG_FOR, optionName, OTHER_ENV_VARS } from './names.js';
import { DEFAULTS, FileSchema, RuleSchema, SettingsSchema, type FileSettings, type RuleInput, type Settings } from './schema.js';

export type { FailOn } from '../core/exit-code.js';
import type { FailOn } from '../core/exit-code.js';

/** Where samples come from, with what each kind needs (checked before a run by `sourceIssues`). */
export type SourceConfig =
  | { type: 'ds-metrics' }
  | { type: 'prometheus-scrape'; queries: Record<string, string>; token: string | undefined }
  | { type: 'prometheus'; url: string | undefined; queries: Record<string, string>; token: string | undefined; preRangeMs: number | undefined }
  | { type: 'sql'; url: string | undefined; queries: Record<string, string>; maxRows: number; budget: number | undefined }
  | { type: 'command'; argv: string[] };

export interface ResolvedConfig {
  project: string;
  env: string;
  endpoints: string[];
  /** Never printed, stored or logged. Empty when none was given. */
  secrets: string[];
  source: SourceConfig;
  /** Bearer token for a Prometheus source, whatever the source type (never printed or stored). */
  sourceToken: string | undefined;
  pushgateway: string | undefined;
  /** TLS certificates are not verified (--insecure). */
  insecure: boolean;
  /** Every secret value to mask in anything printed or stored: HMAC secrets, the source token, database passwords. */
  redactions: string[];
  preSamples: number;
  intervalMs: number;
  windowMs: number;
  timeoutMs: number;
  retries: number;
  failOn: FailOn;
  /** What a store that cannot be opened does: stop before anything runs, or go on in memory. */
  onStoreError: 'fail' | 'continue';
  store: string;
  sync: string | undefined;
  /** Deadline of one operation on a Postgres store or sync target. */
  storeTimeoutMs: number;
  /** The most --sync may add to a command, all steps together. */
  syncTimeoutMs: number;
  /** Time a signalled deploy command gets before its process group is killed. */
  killGraceMs: number;
  logFormat: 'text' | 'json';
  /** POST time set aside after the deploy; undefined = a tenth of the window. */
  settleMs: number | undefined;
  /** Stop early with rollback_recommended when a regression is already decisive. */
  earlyExit: boolean;
  /** Consecutive POST samples a regression must hold before an early rollback. */
  persist: number;
  /** What an endpoint that answered before the deploy and fails after it means for the verdict. */
  onEndpointFailure: OnEndpointFailure;
  baseline: 'pre' | 'history';
  historyRuns: number;
  /** Report the verdict it would give, exit 0. */
  dryRun: boolean;
  rules: Rules;
  /** Metrics whose rule the config file names (set or overridden there): the ones a user expects the app to report. */
  configuredRules: string[];
  /** The config file used, if any. */
  configFile: string | undefined;
  /** Settings given by flags or SEQPULSE_* variables (not the file, not defaults): `finish` lets these override what `start` stored. */
  explicit: ReadonlySet<keyof Settings>;
  warnings: string[];
}

/** Flag values as the CLI parser hands them over (strings; repeatable flags as arrays). */
export interface FlagValues {
  endpoint?: string[];
  secret?: string[];
  project?: string;
  env?: string;
  preSamples?: string;
  interval?: string;
  window?: string;
  timeout?: string;
  retries?: string;
  failOn?: string;
  onStoreError?: string;
  store?: string;
  sync?: string;
  storeTimeout?: string;
  syncTimeout?: string;
  killGrace?: string;
  logFormat?: string;
  settle?: string;
  /** false with --no-early-exit. */
  earlyExit?: boolean;
  persist?: string;
  onEndpointFailure?: string;
  baseline?: string;
  historyRuns?: string;
  dryRun?: boolean;
  source?: string;
  /** `name=expression`, repeatable. */
  query?: string[];
  prometheusUrl?: string;
  preRange?: string;
  sqlUrl?: string;
  sourceCommand?: string;
  sourceToken?: string;
  pushgateway?: string;
  insecure?: boolean;
}

const NUMERIC = new Set<keyof Settings>(['pre_samples', 'retries', 'persist', 'history_runs', 'sql_max_rows', 'sql_budget']);
const BOOLEAN = new Set<keyof Settings>(['early_exit', 'dry_run', 'insecure']);

export interface ResolveInput {
  file?: ConfigFile;
  env: Record<string, string | undefined>;
  flags: FlagValues;
  /** Fallback project name (the working directory's name). */
  defaultProject: string;
  /**
   * The interval, window and settle period are checked together later (timingIssues): `finish`
   * observes with the timing `start` stored unless given its own, which this config does not know.
   */
  timingLater?: boolean;
}

export function resolveConfig(input: ResolveInput): ResolvedConfig {
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];

  const file = input.file ? parseFileLayer(input.file, issues) : {};
  const envRaw = envLayer(input.env, warnings);
  const env = parseLayer(envRaw.values, 'environment', (key) => envRaw.names[key] ?? key, issues);
  const door = doorLayer();
  const flags = parseLayer(flagLayer(input.flags, issues), door.source, door.key, issues);
  if (issues.length > 0) throw new ConfigError(issues);

  const envName = flags.env ?? env.env ?? file.env ?? DEFAULTS.env;
  // Own keys only: `--env toString` names no environment of the file, not Object.prototype's member.
  const override: Settings = (file.environments && Object.hasOwn(file.environments, envName) ? file.environments[envName] : undefined) ?? {};
  const pick = <K extends keyof Settings>(key: K): Settings[K] => flags[key] ?? env[key] ?? override[key] ?? file[key];

  const source = input.file?.path ?? 'config';
  const rules = mergeRules([file.metrics, override.metrics], (metric, layer, field, reason) => {
    const at = layer === 1 ? ['environments', envName, 'metrics', metric] : ['metrics', metric];
    return { source: lineSource(input.file, layer === undefined ? at : [...at, field]) ?? source, key: [...at, field].join('.'), reason };
  }, issues);

  const config: ResolvedConfig = {
    project: pick('project') ?? input.defaultProject,
    env: envName,
    endpoints: pick('endpoints') ?? [],
    secrets: toList(pick('secret')),
    preSamples: pick('pre_samples') ?? DEFAULTS.pre_samples,
    intervalMs: pick('interval') ?? DEFAULTS.interval,
    windowMs: pick('window') ?? DEFAULTS.window,
    timeoutMs: pick('timeout') ?? DEFAULTS.timeout,
    retries: pick('retries') ?? DEFAULTS.retries,
    failOn: pick('fail_on') ?? DEFAULTS.fail_on,
    onStoreError: pick('on_store_error') ?? DEFAULTS.on_store_error,
    store: pick('store') ?? DEFAULTS.store,
    sync: pick('sync'),
    storeTimeoutMs: pick('store_timeout') ?? DEFAULTS.store_timeout,
    syncTimeoutMs: pick('sync_timeout') ?? DEFAULTS.sync_timeout,
    killGraceMs: pick('kill_grace') ?? DEFAULTS.kill_grace,
    logFormat: pick('log_format') ?? DEFAULTS.log_format,
    settleMs: pick('settle'),
    earlyExit: pick('early_exit') ?? true,
    persist: pick('persist') ?? DEFAULT_PERSIST,
    onEndpointFailure: pick('on_endpoint_failure') ?? 'rollback',
    baseline: pick('baseline') ?? 'pre',
    historyRuns: pick('history_runs') ?? 5,
    dryRun: pick('dry_run') ?? false,
    source: sourceOf(pick),
    sourceToken: pick('source_token'),
    pushgateway: pick('pushgateway'),
    insecure: pick('insecure') ?? false,
    redactions: [],
    rules,
    configuredRules: [...new Set([file.metrics, override.metrics].flatMap((layer) => Object.keys(layer ?? {})))].filter((name) => Object.hasOwn(rules, name)),
    configFile: input.file?.path,
    explicit: new Set([...Object.keys(env), ...Object.keys(flags)] as (keyof Settings)[]),
    warnings,
  };
  // Every credential seqpulse sends, in every form it travels in (redact.ts): a server that echoes one back gets it masked.
  const urls = [pick('sql_url'), pick('store'), pick('sync'), pick('pushgateway'), pick('prometheus_url'), ...config.endpoints];
  config.redactions = [...new Set([...config.secrets, ...tokenSecrets(pick('source_token')), ...urls.flatMap(urlSecrets)])];
  if (config.insecure) {
    warnings.push(`TLS certificate verification is OFF (${optionName('insecure', 'true')}): anyone between seqpulse and the app can read and forge the metrics this verdict rests on.`);
  }
  if (input.file && file.source_token !== undefined) {
    warnings.push(`${input.file.path}: a token in the config file is readable by anyone with the repository; prefer SEQPULSE_SOURCE_TOKEN.`);
  }
  if (input.file && file.secret !== undefined) {
    warnings.push(`${input.file.path}: a secret in the config file is readable by anyone with the repository; prefer SEQPULSE_HMAC_SECRET.`);
  }
  // Named where the value came from (the flag, the variable, the file's line), as every other issue is.
  const origin = (key: keyof Settings): Pick<ConfigIssue, 'source' | 'key'> | undefined =>
    flags[key] !== undefined ? { source: door.source, key: door.key(key) }
    : env[key] !== undefined ? { source: 'environment', key: envRaw.names[key] ?? key }
    : override[key] !== undefined ? { source: lineSource(input.file, ['environments', envName, key]) ?? source, key: `environments.${envName}.${key}` }
    : file[key] !== undefined ? { source: lineSource(input.file, [key]) ?? source, key }
    : undefined;
  if (!input.timingLater) issues.push(...timingIssues(config).map((i) => ({ ...i, ...origin(i.key as keyof Settings) })));
  if (issues.length > 0) throw new ConfigError(issues);
  return config;
}

/**
 * The interval, window and settle period together (each alone is the schema's to check). `finish`
 * checks them once the timing `start` stored is merged in (ResolveInput.timingLater).
 */
export function timingIssues(config: Pick<ResolvedConfig, 'intervalMs' | 'windowMs' | 'settleMs'>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const tooShort = windowIssue(config.intervalMs, config.windowMs);
  if (tooShort) issues.push(tooShort);
  // The judge cannot set aside the whole window: it would judge the settle samples after all,
  // silently, the restart blips the setting was meant to keep out.
  if (config.settleMs !== undefined && config.settleMs >= config.windowMs) {
    issues.push({ source: 'settings', key: 'settle', reason: `the settle period (${formatDuration(config.settleMs)}) is not shorter than the observation window (${formatDuration(config.windowMs)}): no POST sample would be left to judge` });
  }
  return issues;
}

/**
 * A window too short for one POST sample at this interval, or undefined. Each value alone is the
 * schema's to check (the interval's minimum included); this is the two together. Shared by a config
 * and by a run's stored timing.
 */
export function windowIssue(intervalMs: number, windowMs: number): ConfigIssue | undefined {
  return windowMs < intervalMs
    ? { source: 'settings', key: 'window', reason: `the observation window (${formatDuration(windowMs)}) is shorter than the interval (${formatDuration(intervalMs)}): no POST sample would be taken` }
    : undefined;
}

function sourceOf(pick: <K extends keyof Settings>(key: K) => Settings[K]): SourceConfig {
  const queries = pick('queries') ?? {};
  const token = pick('source_token');
  switch (pick('source') ?? 'ds-metrics') {
    case 'ds-metrics':
      return { type: 'ds-metrics' };
    case 'prometheus-scrape':
      return { type: 'prometheus-scrape', queries, token };
    case 'prometheus':
      return { type: 'prometheus', url: pick('prometheus_url'), queries, token, preRangeMs: pick('pre_range') };
    case 'sql':
      return { type: 'sql', url: pick('sql_url'), queries, maxRows: pick('sql_max_rows') ?? 1000, budget: pick('sql_budget') };
    case 'command': {
      const command = pick('source_command');
      return { type: 'command', argv: command === undefined ? [] : typeof command === 'string' ? command.split(/\s+/) : command };
    }
  }
}

/** What a run needs from its source's settings, as config issues (commands that only read the store need none of it). */
export function sourceIssues(config: ResolvedConfig): ConfigIssue[] {
  const issue = (key: string, reason: string): ConfigIssue => ({ source: 'settings', key, reason });
  const src = config.source;
  const issues: ConfigIssue[] = [];
  switch (src.type) {
    case 'ds-metrics':
      if (config.endpoints.length === 0) issues.push(issue('endpoints', `no endpoint given (${either('endpoints', 'URL', 'SEQPULSE_ENDPOINTS')})`));
      if (config.secrets.length === 0) issues.push(issue('secret', `no HMAC secret given (set SEQPULSE_HMAC_SECRET, or ${optionName('secret')})`));
      break;
    case 'prometheus-scrape':
      if (config.endpoints.length === 0) issues.push(issue('endpoints', `no /metrics URL given (the app's Prometheus endpoints: ${either('endpoints', 'URL')})`));
      break;
    case 'prometheus':
      if (!src.url) issues.push(issue('prometheus_url', `no Prometheus server given (${either('prometheus_url', 'URL', 'SEQPULSE_PROMETHEUS_URL')})`));
      // One PRE sample per step: a range of a day at 10ms was 8.6 million samples held in memory
      // (the run died out of memory), for a query Prometheus refuses past MAX_RANGE_STEPS anyway.
      if (src.preRangeMs !== undefined && src.preRangeMs / config.intervalMs > MAX_RANGE_STEPS) {
        issues.push(issue('pre_range', `${formatDuration(src.preRangeMs)} of history at one sample per interval (${formatDuration(config.intervalMs)}) is ${Math.floor(src.preRangeMs / config.intervalMs)} steps; Prometheus answers at most ${MAX_RANGE_STEPS} per query: shorten pre_range or lengthen the interval (at most ${formatDuration(config.intervalMs * MAX_RANGE_STEPS)} at this interval)`));
      }
      break;
    case 'sql':
      if (!src.url) issues.push(issue('sql_url', `no database given (${either('sql_url', 'postgres://...', 'SEQPULSE_SQL_URL')})`));
      break;
    case 'command':
      if (src.argv.length === 0) issues.push(issue('source_command', `no command given (${either('source_command', '"..."', 'SEQPULSE_SOURCE_COMMAND')})`));
      break;
  }
  if ('queries' in src && Object.keys(src.queries).length === 0) {
    issues.push(issue('queries', `source ${src.type} needs at least one query (queries: in seqpulse.yml${optionName('queries').endsWith('seqpulse.yml') ? '' : `, or ${optionName('queries', 'name=expression')}`})`));
  }
  // A metric nothing judges would leave the verdict blind to it: the rule says which way is bad.
  // A rule's volume or counters (requests_total for error_rate) are read by the judge too.
  const read = metricNames(config.rules);
  for (const name of 'queries' in src ? Object.keys(src.queries) : []) {
    if (read.has(name) || Object.keys(config.rules).some((r) => r.startsWith(`${name}.`))) continue;
    issues.push(issue(`queries.${name}`, `no rule judges this metric: add metrics.${name} (direction, threshold) to seqpulse.yml, or metrics.${name}.<label> for (label, value) rows`));
  }
  return issues;
}

/** "--endpoint URL, SEQPULSE_ENDPOINTS or endpoints: in seqpulse.yml", as this door names them. */
function either(key: keyof Settings, value: string, envVar?: string): string {
  const door = optionName(key, value);
  const file = `${key}: in seqpulse.yml`;
  return [door.endsWith('seqpulse.yml') ? undefined : door, envVar, file].filter(Boolean).join(', ').replace(/, ([^,]*)$/, ' or $1');
}

function parseFileLayer(file: ConfigFile, issues: ConfigIssue[]): FileSettings {
  // A `${NAME}` is said as such; what the schema would add about the same value (not a URL) is not.
  const unexpanded = placeholders(file.data, []);
  const keyOf = (path: readonly PropertyKey[]) => path.map(String).join('.');
  for (const { path, value } of unexpanded) {
    const setting = path.find((k): k is keyof Settings => Object.hasOwn(SettingsSchema.shape, k));
    const variable = Object.keys(ENV_VARS).find((name) => ENV_VARS[name] === setting);
    issues.push({
      source: lineSource(file, path) ?? file.path,
      key: keyOf(path),
      // The placeholder, not the value: a secret's value is never quoted.
      reason: `${setting === 'secret' || setting === 'source_token' ? 'a ${...} placeholder' : JSON.stringify(value.match(PLACEHOLDER)![0])} would be used as it is: seqpulse.yml does not expand environment variables${variable ? ` (set ${variable} instead)` : ''}`,
    });
  }
  const report = (issue: z.core.$ZodIssue) => {
    for (const path of issuePaths(issue)) {
      if (unexpanded.some((u) => keyOf(u.path) === keyOf(path))) continue;
      issues.push({ source: lineSource(file, path) ?? file.path, key: keyOf(path) || '(top level)', reason: reasonOf(issue, path) });
    }
  };
  const result = FileSchema.safeParse(file.data);
  if (!result.success) {
    meaningful(result.error.issues).forEach(report);
    return {};
  }
  const data = file.data as Record<string, unknown>;
  // An environment may be called `__proto__` too, like a metric.
  const parsed = withProtoNames(data, result.data, [], report, BY_NAME_IN_FILE);
  const environments = data.environments;
  if (isMap(environments)) {
    for (const [name, layer] of Object.entries(parsed.environments ?? {})) withProtoNames(environments[name], layer, ['environments', name], report);
  }
  return parsed;
}

function parseLayer(raw: Record<string, unknown>, source: string, keyName: (key: string) => string, issues: ConfigIssue[]): Settings {
  const report = (issue: z.core.$ZodIssue) => issues.push({ source, key: keyName(String(issue.path[0] ?? '')), reason: `${whichItem(issue, raw)}${textReason(issue, raw) ?? reasonOf(issue)}` });
  const result = SettingsSchema.safeParse(raw);
  if (result.success) return withProtoNames(raw, result.data, [], report);
  meaningful(result.error.issues).forEach(report);
  return {};
}

/**
 * A flag given several times or a variable holding a list (`--endpoint` twice, SEQPULSE_ENDPOINTS):
 * which of its values the reason is about, as the file's `endpoints.1` says it.
 */
function whichItem(issue: z.core.$ZodIssue, raw: Record<string, unknown>): string {
  const list = raw[String(issue.path[0] ?? '')];
  const at = issue.path[1];
  if (issue.path.length !== 2 || typeof at !== 'number' || !Array.isArray(list) || list.length < 2) return '';
  return `value ${at + 1} of ${list.length}: `;
}

/**
 * A variable or a flag is text: zod's "expected boolean, received string" says neither what was
 * given nor what to give. Said with the value, for the yes/no and number settings.
 */
function textReason(issue: z.core.$ZodIssue, raw: Record<string, unknown>): string | undefined {
  const value = raw[String(issue.path[0] ?? '')];
  if (issue.code !== 'invalid_type' || issue.path.length !== 1 || typeof value !== 'string') return undefined;
  if (issue.expected === 'boolean') return `${JSON.stringify(value)} is not true or false`;
  if (issue.expected === 'number') return `${JSON.stringify(value)} is not a number (write it in digits, e.g. 12)`;
  return undefined;
}

/** Settings whose value maps metric names to something, and the schema of that something. */
const BY_METRIC = { metrics: RuleSchema, queries: SettingsSchema.shape.queries.unwrap().valueType } as const;

/** The same at the top of the file, which also maps environment names to their settings. */
const BY_NAME_IN_FILE = { ...BY_METRIC, environments: FileSchema.shape.environments.unwrap().valueType } as const;

/**
 * A metric may be called `__proto__` (it is a name like any other, judged only by a rule of that
 * name), but zod builds a record as a plain object and so leaves that key out. Its rule (or query)
 * is validated here with the same schema, and put back into a record with no prototype. The same
 * holds for an environment of the file (`byNames`: the records to look in, and their value schema).
 */
function withProtoNames<T extends Settings>(raw: unknown, parsed: T, at: PropertyKey[], report: (issue: z.core.$ZodIssue) => void, byNames: Record<string, z.ZodType> = BY_METRIC): T {
  if (!isMap(raw)) return parsed;
  for (const [key, schema] of Object.entries(byNames)) {
    const byName = raw[key];
    if (!isMap(byName) || !Object.hasOwn(byName, '__proto__')) continue;
    const result = schema.safeParse(byName['__proto__']);
    if (!result.success) {
      for (const issue of meaningful(result.error.issues)) report({ ...issue, path: [...at, key, '__proto__', ...issue.path] });
      continue;
    }
    // No prototype: assigning `__proto__` then makes a key, not a prototype.
    const record = Object.assign(Object.create(null) as Record<string, unknown>, (parsed as Record<string, unknown>)[key]);
    record['__proto__'] = result.data;
    (parsed as Record<string, unknown>)[key] = record;
  }
  return parsed;
}

/**
 * Strings of the file written as `${NAME}` (or `${{ secrets.NAME }}`, as in a workflow), which
 * nothing expands: a secret or a URL would silently be that text. Queries and source commands are
 * passed on as written (a query may have `${...}` of its own) and are not looked at.
 */
const PLACEHOLDER = /\$\{[^}]*\}+/;

function placeholders(value: unknown, path: string[]): { path: string[]; value: string }[] {
  if (typeof value === 'string') return PLACEHOLDER.test(value) ? [{ path, value }] : [];
  if (typeof value !== 'object' || value === null) return [];
  const key = path[path.length - 1];
  if (key === 'queries' || key === 'source_command') return [];
  return Object.entries(value).flatMap(([k, v]) => placeholders(v, [...path, k]));
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function envLayer(env: Record<string, string | undefined>, warnings: string[]): { values: Record<string, unknown>; names: Record<string, string> } {
  const values: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('SEQPULSE_') || value === undefined || value === '') continue;
    const key = ENV_VARS[name];
    if (!key) {
      if (!OTHER_ENV_VARS.has(name)) {
        const known = [...Object.keys(ENV_VARS), ...OTHER_ENV_VARS];
        // Compared without the prefix they all share, so "close" means close where they differ.
        const close = closestNames(name.slice('SEQPULSE_'.length), known.map((k) => k.slice('SEQPULSE_'.length))).map((k) => `SEQPULSE_${k}`);
        warnings.push(`${name} is not a seqpulse setting and is ignored${close.length > 0 ? ` (did you mean ${close.join(' or ')}?)` : ` (known: ${known.join(', ')})`}`);
      }
      continue;
    }
    // Several secrets during a rotation: one per line, as the Action's `secret` input takes them
    // (commas are not split: a secret may hold one).
    values[key] = key === 'endpoints' ? value.split(/[\s,]+/).filter(Boolean) : key === 'secret' && /[\r\n]/.test(value) ? secretLines(value) : coerce(key, value);
    names[key] = name;
  }
  return { values, names };
}

function flagLayer(flags: FlagValues, issues: ConfigIssue[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [flag, key] of Object.entries(FLAG_FOR) as [keyof FlagValues, keyof Settings][]) {
    const value = flags[flag];
    if (value === undefined) continue;
    // `--secret -- ./deploy.sh`: the parser gives a flag missing its value the `--` after it.
    if (value === '--' || (Array.isArray(value) && value.includes('--'))) {
      issues.push({ source: doorLayer().source, key: doorLayer().key(key), reason: 'has no value: the "--" after it (which starts the deploy command) was taken as its value' });
      continue;
    }
    if (flag === 'query') {
      const bad = (value as string[]).find((q) => q.indexOf('=') <= 0);
      if (bad !== undefined) issues.push({ source: doorLayer().source, key: doorLayer().key('queries'), reason: `"${bad}" is not name=expression (e.g. error_rate=rate(errors_total) / rate(requests_total))` });
      else values[key] = Object.fromEntries((value as string[]).map((q) => [q.slice(0, q.indexOf('=')).trim(), q.slice(q.indexOf('=') + 1)]));
      continue;
    }
    values[key] = typeof value === 'string' ? coerce(key, value) : value;
  }
  return values;
}

/** A number as a flag or a variable may write it: digits (no 1e3, 0x10 or Infinity: a typo should not pass as a number). */
export const NUMBER_TEXT = /^-?\d+(\.\d+)?$/;

/** Numbers from the environment and flags arrive as text; anything not numeric is left for the schema to reject. */
function coerce(key: keyof Settings, value: string): unknown {
  if (NUMERIC.has(key) && NUMBER_TEXT.test(value.trim())) return Number(value);
  if (BOOLEAN.has(key) && /^(true|false|1|0)$/i.test(value.trim())) return /^(true|1)$/i.test(value.trim());
  return value;
}

/** An issue about `field` of a metric's rule, as set in `layer` (an index of mergeRules' layers; undefined: the metric as a whole). */
type RuleIssue = (metric: string, layer: number | undefined, field: string, reason: string) => ConfigIssue;

function mergeRules(layers: (Record<string, RuleInput> | undefined)[], issueAt: RuleIssue, issues: ConfigIssue[]): Rules {
  // No prototype in either object: a metric may be called `constructor` or `__proto__`.
  const merged: Record<string, RuleInput & Partial<MetricRule>> = Object.assign(Object.create(null) as Record<string, RuleInput & Partial<MetricRule>>, DEFAULT_RULES);
  const lastSet: Record<string, { attention?: number; threshold?: number }> = Object.create(null) as Record<string, { attention?: number; threshold?: number }>;
  layers.forEach((layer, index) => {
    for (const [name, override] of Object.entries(layer ?? {})) {
      const previous = merged[name] ?? {};
      // A new threshold moves the attention band with it, unless the band is set too.
      const attention = override.threshold !== undefined && override.attention === undefined ? override.threshold / 2 : previous.attention;
      merged[name] = { ...previous, ...override, ...(attention === undefined ? {} : { attention: override.attention ?? attention }) };
      lastSet[name] = { ...lastSet[name], ...(override.attention === undefined ? {} : { attention: index }), ...(override.threshold === undefined ? {} : { threshold: index }) };
    }
  });
  const rules = Object.create(null) as Rules;
  for (const [name, { enabled, direction, threshold, ...rest }] of Object.entries(merged)) {
    if (enabled === false) continue;
    if (threshold === undefined) {
      issues.push(issueAt(name, undefined, 'threshold', 'required for a metric without a default rule'));
      continue;
    }
    // The band is where a move short of the threshold raises attention: past the threshold there is no such move.
    if (rest.attention !== undefined && rest.attention > threshold) {
      const set = lastSet[name] ?? {};
      const field = set.attention !== undefined ? 'attention' : 'threshold';
      issues.push(issueAt(name, set.attention ?? set.threshold, field, `the attention band (${rest.attention}%) is above the threshold (${threshold}%): it must be at most the threshold (default: half of it)`));
      continue;
    }
    rules[name] = rule(direction ?? 'increase', threshold, rest);
  }
  return rules;
}

/**
 * The issues worth saying: an integer past 2^53 breaks both zod's safe-integer bound and the key's
 * own, and "at most 9007199254740991" above "at most 10000" says nothing more.
 */
function meaningful(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const safeBound = (i: z.core.$ZodIssue) => (i.code === 'too_big' && Number(i.maximum) === Number.MAX_SAFE_INTEGER) || (i.code === 'too_small' && Number(i.minimum) === Number.MIN_SAFE_INTEGER);
  return issues.filter((i) => !safeBound(i) || !issues.some((o) => o !== i && o.code === i.code && !safeBound(o) && o.path.map(String).join('.') === i.path.map(String).join('.')));
}

function issuePaths(issue: z.core.$ZodIssue): PropertyKey[][] {
  if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => [...issue.path, k]);
  return [issue.path];
}

function reasonOf(issue: z.core.$ZodIssue, path: readonly PropertyKey[] = issue.path): string {
  if (issue.code === 'unrecognized_keys') {
    const key = String(path[path.length - 1]);
    const hint = didYouMean(key, knownKeysAt(path.slice(0, -1)));
    return `unknown key${hint || ' (check the spelling; docs/configuration.md lists every key)'}`;
  }
  // A metric name that is not one: zod's own words ("invalid key in record") do not say why; the key's schema does.
  if (issue.code === 'invalid_key') return `not a valid name: ${issue.issues[0]?.message ?? issue.message}`;
  if (issue.code === 'invalid_type' && issue.expected === 'int') return 'must be a whole number';
  // zod's own wording only: a message the schema gave is kept.
  if ((issue.code === 'too_small' || issue.code === 'too_big') && /^too (small|big)\b/i.test(issue.message)) return boundReason(issue);
  if (issue.code === 'invalid_value' && /^invalid option/i.test(issue.message)) return `must be one of ${issue.values.map(String).join(', ')}`;
  return typeReason(issue) ?? issue.message;
}

/** What a key takes, in words. */
const KINDS: Record<string, string> = { string: 'text', array: 'a list', number: 'a number', boolean: 'true or false', object: 'keys and values (a mapping)' };

/**
 * A value of the wrong kind, in words: "expected text or a list, got number", not zod's "invalid
 * input" (a union: `secret: 5`); and a YAML .inf or .nan for a number says it must be finite.
 */
function typeReason(issue: z.core.$ZodIssue): string | undefined {
  // A message the schema gave is kept.
  if (!/^invalid input/i.test(issue.message)) return undefined;
  const kinds = issue.code === 'invalid_type' ? [issue] : issue.code === 'invalid_union' ? issue.errors.map((alt) => alt.find((i) => i.path.length === 0 && i.code === 'invalid_type')) : [];
  if (kinds.length === 0 || kinds.some((k) => k === undefined || k.code !== 'invalid_type')) return undefined;
  const received = /received (\S+)$/.exec(kinds[0]!.message)?.[1];
  const expected = [...new Set(kinds.map((k) => (k as z.core.$ZodIssueInvalidType).expected))];
  if (expected.includes('number') && /^(-?Infinity|NaN)$/.test(received ?? '')) return 'must be a finite number';
  return `expected ${expected.map((e) => KINDS[e] ?? e).join(' or ')}${received ? `, got ${received}` : ''}`;
}

/** A bound in words ("must be at least 1"), not zod's "too small: expected number to be >=1". */
function boundReason(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' || issue.origin === 'set' ? ' entries' : '';
  if (!issue.inclusive) return `must be ${small ? 'more' : 'less'} than ${bound}${unit}`;
  // A string of at least 1 character is one that is not empty.
  if (small && bound === 1 && unit !== '') return 'must not be empty';
  return `must be at ${small ? 'least' : 'most'} ${bound}${unit}`;
}

/** The keys the config file accepts at `path` (the top level, a metric rule, an environment). */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  const [first, , third] = path;
  if (path.length === 0) return Object.keys(FileSchema.shape);
  if (first === 'metrics' && path.length === 2) return Object.keys(RuleSchema.shape);
  if (first === 'environments' && path.length === 2) return Object.keys(SettingsSchema.shape).filter((k) => k !== 'env');
  if (first === 'environments' && third === 'metrics' && path.length === 4) return Object.keys(RuleSchema.shape);
  return [];
}

function lineSource(file: ConfigFile | undefined, path: readonly PropertyKey[]): string | undefined {
  if (!file) return undefined;
  const line = file.lineOf(path);
  return line === undefined ? file.path : `${file.path}:${line}`;
}

/** A rotation list in one variable: a secret per line, lines trimmed, empty ones dropped. */
function secretLines(value: string): string[] {
  return value.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
}

function toList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
