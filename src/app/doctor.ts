/**
 * `seqpulse doctor`: everything a run needs, checked before a deploy depends on it. Each check says
 * what it saw and, when it fails, what to do. Nothing is written: the store is opened (and migrated
 * if new) and read, the endpoints are sampled once.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { sourceIssues, type ResolvedConfig } from '../config/resolve.js';
import { SeqpulseError } from '../errors.js';
import { redactError, redactText, redactUserinfo } from '../redact.js';
import { queryIssues } from '../sources/factory.js';
import type { EndpointResult, MetricSource } from '../sources/types.js';
import { isPostgresUrl } from '../store/open.js';
import type { Store } from '../store/types.js';

export interface Check {
  name: string;
  /** warn: works, but something deserves a look; only fail makes doctor exit non-zero. */
  level: 'pass' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

export interface DoctorDeps {
  config: ResolvedConfig;
  /** A source for this config (one per endpoint, so each endpoint is judged on its own). */
  source: (config: ResolvedConfig) => MetricSource;
  openStore: (location: string) => Promise<Store>;
}

export async function runDoctor({ config, source, openStore }: DoctorDeps): Promise<Check[]> {
  const checks: Check[] = [];
  const issues = [...sourceIssues(config), ...queryIssues(config)];
  checks.push(
    issues.length === 0
      ? { name: 'source', level: 'pass', detail: `${config.source.type}${config.source.type === 'ds-metrics' ? `, ${config.endpoints.length} endpoint(s)` : ''}` }
      : { name: 'source', level: 'fail', detail: issues.map((i) => `${i.key}: ${i.reason}`).join('; '), fix: 'Complete the settings above (flags, SEQPULSE_* or seqpulse.yml); `seqpulse init` writes a commented starter file.' },
  );
  if (issues.length === 0) {
    const answers = await sampleEach(config, source, checks);
    checks.push(metricsCheck(config, answers));
  }
  checks.push(await storeCheck('store', config.store, openStore));
  if (config.sync) checks.push(await storeCheck('sync target', config.sync, openStore));
  return checks;
}

/** One sample from each endpoint (or from the source, for sources without endpoints). */
async function sampleEach(config: ResolvedConfig, source: DoctorDeps['source'], checks: Check[]): Promise<EndpointResult[]> {
  const targets = config.source.type === 'ds-metrics' || config.source.type === 'prometheus-scrape' ? config.endpoints.map((e) => ({ ...config, endpoints: [e] })) : [config];
  const answers: EndpointResult[] = [];
  for (const target of targets) {
    const label = target.endpoints.length === 1 ? redactUserinfo(target.endpoints[0]!) : config.source.type;
    const src = source(target);
    try {
      const started = Date.now();
      const results = await src.collect({ phase: 'pre', deploymentId: 'doctor', deadline: started + config.timeoutMs * (config.retries + 1) });
      for (const r of results) {
        if (r.ok) {
          answers.push(r);
          const count = Object.keys(r.metrics ?? {}).length;
          checks.push({ name: `sample ${label}`, level: 'pass', detail: `answered in ${r.latency_ms ?? Date.now() - started} ms with ${count} metric(s)${r.error ? `; ${r.error}` : ''}` });
        } else {
          checks.push({ name: `sample ${label}`, level: 'fail', detail: redactText(r.error ?? 'no answer', config.redactions), fix: 'Check the URL, that the app is up and reachable from here, and the timeout (--timeout).' });
        }
      }
    } catch (err) {
      const fix = err instanceof SeqpulseError ? err.hint : undefined;
      checks.push({ name: `sample ${label}`, level: 'fail', detail: redactText(err instanceof Error ? err.message : String(err), config.redactions), ...(fix ? { fix } : {}) });
    } finally {
      await src.close();
    }
  }
  return answers;
}

/** Which metrics the rules judge are reported, and which are not. */
function metricsCheck(config: ResolvedConfig, answers: EndpointResult[]): Check {
  if (answers.length === 0) return { name: 'metrics', level: 'fail', detail: 'no sample to look at', fix: 'Fix the failing samples above first.' };
  const seen = new Set(answers.flatMap((a) => Object.keys(a.metrics ?? {})));
  const judged = Object.keys(config.rules);
  const present = judged.filter((m) => seen.has(m) || [...seen].some((s) => s.startsWith(`${m}.`)));
  const missing = judged.filter((m) => !present.includes(m));
  const unjudged = [...seen].filter((m) => !judged.some((j) => m === j || m.startsWith(`${j}.`)));
  const detail = [`judged and present: ${present.join(', ') || 'none'}`, missing.length > 0 ? `judged but missing: ${missing.join(', ')}` : '', unjudged.length > 0 ? `reported, not judged: ${unjudged.join(', ')}` : ''].filter(Boolean).join('; ');
  if (present.length === 0) return { name: 'metrics', level: 'fail', detail, fix: 'No metric the rules know was reported: report them under their names, or add rules (metrics: in seqpulse.yml).' };
  if (missing.length > 0) return { name: 'metrics', level: 'warn', detail, fix: 'A missing metric makes every verdict "attention" (no data): report it, or turn its rule off (metrics.<name>.enabled: false).' };
  return { name: 'metrics', level: 'pass', detail };
}

async function storeCheck(name: string, location: string, openStore: DoctorDeps['openStore']): Promise<Check> {
  const shown = redactUserinfo(location);
  // A SQLite store that does not exist yet is not created by a check: the first run creates it.
  if (!isPostgresUrl(location)) {
    const path = resolve(location.replace(/^file:/, ''));
    if (!existsSync(path)) {
      const dir = nearestDir(dirname(path));
      try {
        accessSync(dir, constants.W_OK);
        return { name, level: 'pass', detail: `${shown}: not created yet; the first run creates it (${dir} is writable)` };
      } catch {
        return { name, level: 'fail', detail: `${shown}: ${dir} is not writable, so the store cannot be created`, fix: 'Use --store with a writable path, or fix the directory permissions.' };
      }
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
    const fix = err instanceof SeqpulseError ? err.hint : undefined;
    return { name, level: 'fail', detail: redactError(err, location), ...(fix ? { fix } : {}) };
  }
}

function nearestDir(dir: string): string {
  return existsSync(dir) || dirname(dir) === dir ? dir : nearestDir(dirname(dir));
}
