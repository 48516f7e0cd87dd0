/**
 * `seqpulse doctor`: everything a run needs, checked before a deploy depends on it. Each check says
 * what it saw and, when it fails, what to do. Nothing is written: the store is opened (and migrated
 * if new) and read, the endpoints are sampled once.
 */
import { existsSync } from 'node:fs';
import { sourceIssues, type ResolvedConfig } from '../config/resolve.js';
import { formatDuration } from '../config/duration.js';
import { optionName } from '../config/names.js';
import { CredentialsError, ExitCode, SeqpulseError, UsageError } from '../errors.js';
import { redactError, redactText, redactUrl } from '../redact.js';
import { queryIssues } from '../sources/factory.js';
import { eachUntilAuthError } from '../sources/retrying.js';
import type { EndpointResult, MetricSource } from '../sources/types.js';
import { storeDirectory } from '../store/directory.js';
import { sqlitePath } from '../store/location.js';
import type { Store } from '../store/types.js';
import { NAME_WIDTH, shorten } from '../output/terminal.js';
import { describeUnreported, suspicious, UNREPORTED_MEANS, unreportedRules } from './unreported.js';

export interface Check {
  name: string;
  /** warn: works, but something deserves a look; only fail makes doctor exit non-zero. */
  level: 'pass' | 'warn' | 'fail';
  detail: string;
  fix?: string;
  /** A failure `run` would stop at before deploying (a configuration error: exit 2), not one it goes through with. */
  blocking?: boolean;
}

/** doctor's exit code: 2 when a run would stop at a configuration error (as every command does), 1 for another failed check, else 0. */
export function doctorExitCode(checks: readonly Check[]): number {
  if (checks.some((c) => c.level === 'fail' && c.blocking)) return ExitCode.Usage;
  return checks.some((c) => c.level === 'fail') ? 1 : ExitCode.Ok;
}

export interface DoctorDeps {
  config: ResolvedConfig;
  /** A source for this config (one per endpoint, so each endpoint is judged on its own). */
  source: (config: ResolvedConfig) => MetricSource;
  openStore: (location: string) => Promise<Store>;
  /**
   * Details in full (every metric name, whole error texts), as `doctor --json` prints them; by
   * default they are bounded for a human reader (names and errors shortened, long lists cut).
   */
  full?: boolean;
}

export async function runDoctor({ config, source, openStore, full = false }: DoctorDeps): Promise<Check[]> {
  const bound: Bounds = full ? { cut: (text) => text, listed: Number.POSITIVE_INFINITY, width: Number.POSITIVE_INFINITY } : { cut: (text) => shorten(text), listed: LISTED, width: NAME_WIDTH };
  const checks: Check[] = [];
  const issues = [...sourceIssues(config), ...queryIssues(config)];
  checks.push(
    issues.length === 0
      ? { name: 'source', level: 'pass', detail: `${config.source.type}${config.source.type === 'ds-metrics' ? `, ${config.endpoints.length} endpoint(s)` : ''}` }
      : { name: 'source', level: 'fail', blocking: true, detail: issues.map((i) => `${i.key}: ${i.reason}`).join('; '), fix: 'Complete the settings above (flags, SEQPULSE_* or seqpulse.yml); `seqpulse init` writes a commented starter file.' },
  );
  if (issues.length === 0) {
    const answers = await sampleEach(config, source, checks, bound);
    checks.push(...metricsChecks(config, answers, bound));
  }
  // A store that cannot be used stops a run before the deploy, unless on_store_error is continue.
  const store = await storeCheck('store', config.store, openStore);
  checks.push(store.level === 'fail' && config.onStoreError === 'fail' ? { ...store, blocking: true } : store);
  if (config.sync) checks.push(await storeCheck('sync target', config.sync, openStore));
  return checks;
}

/**
 * One sample from each endpoint (or from the source, for sources without endpoints), all of them
 * at once as a run samples them (MAX_IN_FLIGHT at a time): endpoints that never answer cost one
 * timeout together, not one each. Their checks come in the configured order.
 */
async function sampleEach(config: ResolvedConfig, source: DoctorDeps['source'], checks: Check[], bound: Bounds): Promise<EndpointResult[]> {
  const targets = config.source.type === 'ds-metrics' || config.source.type === 'prometheus-scrape' ? config.endpoints.map((e) => ({ ...config, endpoints: [e] })) : [config];
  // Each target catches its own failures (a rejected signature is its check), so none ends the others.
  const sampled = await eachUntilAuthError(targets, (target) => sampleOne(config, target, source, bound), []);
  checks.push(...sampled.flatMap((s) => s.checks));
  return sampled.flatMap((s) => s.answers);
}

/** What to check when a sample failed, for the kind of source that failed: a command has no URL to check. */
function sampleFix(type: ResolvedConfig['source']['type']): string {
  const what =
    type === 'command' ? `that the command (${optionName('source_command')}) prints one sample as JSON, {"metrics": {...}}, and ends within the timeout (${optionName('timeout')})`
    : type === 'sql' ? `the database URL (${optionName('sql_url')}), that the database is reachable from here, the queries, and the timeout (${optionName('timeout')})`
    : type === 'prometheus' ? `the Prometheus URL (${optionName('prometheus_url')}), that it is reachable from here, the queries, and the timeout (${optionName('timeout')})`
    : `the URL, that the app is up and reachable from here, and the timeout (${optionName('timeout')})`;
  return `Check ${what}. A run would still deploy, and judge with what it gets.`;
}

/**
 * Doctor has no schedule to keep: its deadline only bounds the retries. What it takes to start the
 * requests (signing, connecting, a loaded machine) is not taken from the first attempt's timeout,
 * which would otherwise report "timeout after 1.9s" for --timeout 2s.
 */
const START_GRACE_MS = 1000;

async function sampleOne(config: ResolvedConfig, target: ResolvedConfig, source: DoctorDeps['source'], bound: Bounds): Promise<{ checks: Check[]; answers: EndpointResult[] }> {
  const checks: Check[] = [];
  const answers: EndpointResult[] = [];
  const label = target.endpoints.length === 1 ? redactUrl(target.endpoints[0]!) : config.source.type;
  const src = source(target);
  try {
    const started = Date.now();
    const results = await src.collect({ phase: 'pre', deploymentId: 'doctor', deadline: started + config.timeoutMs * (config.retries + 1) + START_GRACE_MS });
    for (const r of results) {
      if (r.ok) {
        answers.push(r);
        const count = Object.keys(r.metrics ?? {}).length;
        checks.push({ name: `sample ${label}`, level: 'pass', detail: `answered in ${formatDuration(r.latency_ms ?? Date.now() - started)} with ${count} metric(s)${r.error ? `; ${r.error}` : ''}` });
      } else {
        checks.push({ name: `sample ${label}`, level: 'fail', detail: bound.cut(redactText(r.error ?? 'no answer', config.redactions)), fix: sampleFix(config.source.type) });
      }
    }
  } catch (err) {
    const fix = err instanceof SeqpulseError ? err.hint : undefined;
    // Rejected (or unsafe) credentials stop a run before the deploy: a configuration error.
    const blocking = err instanceof CredentialsError || err instanceof UsageError;
    checks.push({ name: `sample ${label}`, level: 'fail', detail: bound.cut(redactText(err instanceof Error ? err.message : String(err), config.redactions)), ...(fix ? { fix } : {}), ...(blocking ? { blocking } : {}) });
  } finally {
    await src.close();
  }
  return { checks, answers };
}

/**
 * Which metrics the rules judge are reported, and which are not; and, as its own check, the rules
 * that look like a mistake: named in the config, or close to a name that is reported.
 */
function metricsChecks(config: ResolvedConfig, answers: EndpointResult[], bound: Bounds): Check[] {
  const listNames = (names: readonly string[]) => namesWithin(names, bound);
  if (answers.length === 0) return [{ name: 'metrics', level: 'fail', detail: 'no sample to look at', fix: 'Fix the failing samples above first.' }];
  const seen = new Set(answers.flatMap((a) => Object.keys(a.metrics ?? {})));
  const judged = Object.keys(config.rules);
  const unreported = unreportedRules(config.rules, seen, config.configuredRules);
  const missing = unreported.map((u) => u.metric);
  // Reported, but never as a number a run would judge ("0.05", null, an object, only negative): stored, never judged.
  const unusable = judged.filter((m) => !missing.includes(m) && neverANumber(m, answers, config.rules[m]?.allow_negative === true));
  const present = judged.filter((m) => !missing.includes(m) && !unusable.includes(m));
  const unjudged = [...seen].filter((m) => !judged.some((j) => m === j || m.startsWith(`${j}.`)));
  const flagged = suspicious(unreported);
  // Default rules for metrics this app does not have: no mistake, listed apart from the ones that look like one.
  const defaults = unreported.filter((u) => !flagged.includes(u)).map((u) => u.metric);
  const detail = [
    `judged and present: ${listNames(present) || 'none'}`,
    unusable.length > 0 ? `reported, but not as a number, so a run would not judge them: ${unusable.map((m) => `${shorten(m, bound.width)} (${valuesOf(m, answers)})`).slice(0, bound.listed).join(', ')}${unusable.length > bound.listed ? ` and ${unusable.length - bound.listed} more` : ''}` : '',
    flagged.length > 0 ? `not reported, so a run would not judge them: ${listNames(flagged.map(describeUnreported))}` : '',
    defaults.length > 0 ? `not reported by this app (default rules, left out of the verdict): ${listNames(defaults)}` : '',
    unjudged.length > 0 ? `reported, not judged: ${listNames(unjudged)}` : '',
  ].filter(Boolean).join('; ');
  if (present.length === 0) {
    const fix =
      unusable.length > 0
        ? `No metric the rules know was reported as a number, so every verdict would be attention (nothing to compare). Report ${NUMBERS_FIX}.`
        : 'No metric the rules know was reported, so every verdict would be attention (nothing to compare): report them under their names, or add rules (metrics: in seqpulse.yml).';
    return [{ name: 'metrics', level: 'fail', detail, fix }];
  }
  const fix = [unusable.length > 0 ? `Report ${NUMBERS_FIX}.` : '', missing.length > 0 ? UNREPORTED_MEANS : ''].filter(Boolean).join(' ');
  const checks: Check[] = [missing.length > 0 || unusable.length > 0 ? { name: 'metrics', level: 'warn', detail, fix } : { name: 'metrics', level: 'pass', detail }];
  for (const u of flagged) {
    const why = u.configured ? 'seqpulse.yml has a rule for it' : 'a default rule judges it';
    checks.push({ name: `rule ${u.metric}`, level: 'warn', detail: `${describeUnreported(u)}: ${why}, but the app did not report it, so this rule would judge nothing`, fix: UNREPORTED_MEANS });
  }
  return checks;
}

const NUMBERS_FIX = 'judged metrics as JSON numbers ({"error_rate": 0.02}, not "0.02", null or an object): any other value is stored, never judged';

/** No answer gave `metric` a finite number (not negative, unless the rule allows it): what the judge reads (core/columns.ts). */
function neverANumber(metric: string, answers: readonly EndpointResult[], allowNegative: boolean): boolean {
  const given = answers.filter((a) => a.metrics && Object.hasOwn(a.metrics, metric));
  return given.length > 0 && !given.some((a) => {
    const v = a.metrics![metric];
    return typeof v === 'number' && Number.isFinite(v) && (allowNegative || v >= 0);
  });
}

/** What the answers gave instead of a number, in a few words: `"0.05" (text)`, `null`, `an object`. */
function valuesOf(metric: string, answers: readonly EndpointResult[]): string {
  const kinds = new Set(
    answers
      .filter((a) => a.metrics && Object.hasOwn(a.metrics, metric))
      .map((a) => {
        const v = a.metrics![metric];
        if (typeof v === 'string') return `${JSON.stringify(shorten(v, 20))} (text)`;
        if (typeof v === 'number') return v < 0 ? `${v} (negative)` : String(v);
        if (v === null || typeof v === 'boolean') return String(v);
        return Array.isArray(v) ? 'a list' : 'an object';
      }),
  );
  return [...kinds].slice(0, 3).join(', ');
}

/** How much of a text from outside a check's detail holds: bounded for people, everything for JSON. */
interface Bounds {
  cut: (text: string) => string;
  /** Names listed at most, the rest counted. */
  listed: number;
  /** Longest name shown. */
  width: number;
}

/** Names from the app, listed within bounds: each shortened, at most `listed` of them (doctor's lines are shown whole). */
function namesWithin(names: readonly string[], bound: Bounds): string {
  const shown = names.slice(0, bound.listed).map((n) => shorten(n, bound.width));
  return names.length > bound.listed ? `${shown.join(', ')} and ${names.length - bound.listed} more` : shown.join(', ');
}

const LISTED = 30;

async function storeCheck(name: string, location: string, openStore: DoctorDeps['openStore']): Promise<Check> {
  const shown = redactUrl(location);
  // A SQLite store that does not exist yet is not created by a check: the first run creates it.
  const path = sqlitePath(location);
  if (path !== undefined && !existsSync(path)) {
    try {
      // The very check a run makes before it creates the store's directories and file.
      const { existing } = storeDirectory(path);
      return { name, level: 'pass', detail: `${shown}: not created yet; the first run creates it (${existing} is writable)` };
    } catch (err) {
      return storeFailed(name, location, err);
    }
  }
  try {
    const store = await openStore(location);
    try {
      const last = await store.listRuns({ limit: 1 });
      return { name, level: 'pass', detail: `${shown}: ${last[0] ? `last run ${last[0].created_at}` : 'no run yet'}` };
    } finally {
      await store.close();
    }
  } catch (err) {
    return storeFailed(name, location, err);
  }
}

function storeFailed(name: string, location: string, err: unknown): Check {
  const fix = err instanceof SeqpulseError ? err.hint : undefined;
  return { name, level: 'fail', detail: redactError(err, location), ...(fix ? { fix } : {}) };
}
