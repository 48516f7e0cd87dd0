/**
 * seqpulse's own metrics, for the Prometheus users who run it as a batch job: pushed once at the
 * end of a run to a Pushgateway (`--pushgateway URL`), grouped by job, project and env so each
 * project/env keeps its last run. Text exposition format 0.0.4.
 */
import type { VerdictReport } from '../core/types.js';
import type { RunRecord, StoredSample } from '../store/types.js';

export interface SelfMetricsInput {
  run: RunRecord;
  report: VerdictReport;
  samples: readonly StoredSample[];
  /** Time the judge took, when measured. */
  analysisSeconds: number | undefined;
}

const VERDICTS = ['ok', 'attention', 'rollback_recommended'] as const;

export function selfMetricsText({ run, report, samples, analysisSeconds }: SelfMetricsInput): string {
  const labels = (extra: Record<string, string> = {}) => {
    const all = { project: run.project, env: run.env, ...extra };
    return `{${Object.entries(all).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
  };
  const count = (phase: string, ok: boolean) => samples.filter((s) => s.phase === phase && s.ok === ok).length;
  const outcome = report.verdict ?? run.status;
  const finished = Date.parse(run.finished_at ?? report.created_at);
  const lines = [
    '# HELP seqpulse_metrics_collected_total Samples collected (one per endpoint and tick), by phase.',
    '# TYPE seqpulse_metrics_collected_total counter',
    ...['pre', 'post'].map((p) => `seqpulse_metrics_collected_total${labels({ phase: p })} ${count(p, true)}`),
    '# HELP seqpulse_collection_failures_total Samples that failed (no answer, error status, unreadable body), by phase.',
    '# TYPE seqpulse_collection_failures_total counter',
    ...['pre', 'post'].map((p) => `seqpulse_collection_failures_total${labels({ phase: p })} ${count(p, false)}`),
    '# HELP seqpulse_analysis_duration_seconds Time the analysis of the last run took, by its outcome.',
    '# TYPE seqpulse_analysis_duration_seconds gauge',
    `seqpulse_analysis_duration_seconds${labels({ outcome })} ${analysisSeconds ?? 0}`,
    '# HELP seqpulse_run_duration_seconds Wall time of the last run, from its start to its verdict.',
    '# TYPE seqpulse_run_duration_seconds gauge',
    `seqpulse_run_duration_seconds${labels()} ${Math.max(0, (finished - Date.parse(run.created_at)) / 1000)}`,
    '# HELP seqpulse_last_verdict The last run\'s verdict: 1 for the verdict it had, 0 for the others.',
    '# TYPE seqpulse_last_verdict gauge',
    ...VERDICTS.map((v) => `seqpulse_last_verdict${labels({ verdict: v })} ${report.verdict === v ? 1 : 0}`),
    '# HELP seqpulse_last_confidence The last run\'s confidence in its verdict, 0 to 1.',
    '# TYPE seqpulse_last_confidence gauge',
    `seqpulse_last_confidence${labels()} ${report.confidence}`,
    '# HELP seqpulse_last_run_timestamp_seconds When the last run ended (Unix time).',
    '# TYPE seqpulse_last_run_timestamp_seconds gauge',
    `seqpulse_last_run_timestamp_seconds${labels()} ${Math.round(finished / 1000)}`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * `<url>/metrics/job/seqpulse/project/<p>/env/<e>`. Values a plain path segment cannot carry go in
 * the Pushgateway's `@base64` form (URL-safe alphabet, `=` for empty): a slash would split the
 * segment, an empty one would vanish, and `.`/`..` would be resolved away by the URL parser (and
 * by the gateway's own path cleaning), pushing to another group.
 */
export function pushPath(base: string, project: string, env: string): string {
  const plain = (value: string) => value !== '' && value !== '.' && value !== '..' && !value.includes('/');
  const part = (name: string, value: string) => (plain(value) ? `${name}/${encodeURIComponent(value)}` : `${name}@base64/${Buffer.from(value).toString('base64url') || '='}`);
  return `${base.replace(/\/+$/, '')}/metrics/job/seqpulse/${part('project', project)}/${part('env', env)}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
