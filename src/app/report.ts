/** Builds the verdict document (SPEC §6) for a run from its stored samples, with the shared analysis. */
import { analyze } from '../core/analyze.js';
import { exitCodeFor, type FailOn } from '../core/exit-code.js';
import { earlyExitNote } from '../core/wording.js';
import type { Analysis, MetricSnapshot, Rules, StopSignal, VerdictReport } from '../core/types.js';
import { ExitCode } from '../errors.js';
import type { RunRecord } from '../store/types.js';
import type { OnEndpointFailure } from '../core/outage.js';
import { samplesTheApp } from './run-settings.js';
import type { Phases } from './snapshots.js';

export interface ReportOptions {
  rules: Rules;
  failOn: FailOn;
  /** Creation time of the verdict (ISO). */
  now: string;
  interruptedBy?: StopSignal | null;
  /** Replaces the analysis for runs that ended without one (deploy failed, interrupted). */
  outcome?: Pick<Analysis, 'summary' | 'details'>;
  /** `--baseline history`: POST samples of recent good runs, compared instead of this run's PRE. */
  history?: HistoryBaseline;
  /** Recent good runs of the same project and env: how far metrics move when nothing is wrong. */
  healthy?: readonly { pre: MetricSnapshot[]; post: MetricSnapshot[] }[];
  /** `--dry-run`: the verdict's exit code is reported, not given. */
  dryRun?: boolean;
  /** Other runs of the same project and env that overlapped this one in time. */
  concurrent?: string[];
  /** What an endpoint that answered before the deploy and fails after it means (default rollback). */
  onEndpointFailure?: OnEndpointFailure;
}

export interface HistoryBaseline {
  /** Ids of the runs whose POST samples make the baseline, newest first. */
  runs: string[];
  snapshots: MetricSnapshot[];
}

export function buildReport(run: RunRecord, snaps: Phases, opts: ReportOptions): VerdictReport {
  const history = opts.history && opts.history.snapshots.length > 0 ? opts.history : undefined;
  const analysis: Analysis = opts.outcome
    ? { verdict: null, confidence: 0, metrics: [], hints: [], ...opts.outcome }
    : analyze({
        pre: history?.snapshots ?? snaps.pre,
        // Earlier runs' windows as the baseline: none of it sits next to this deploy.
        preAdjacent: history === undefined,
        post: snaps.post,
        rules: opts.rules,
        expected: { pre: history ? history.snapshots.length : run.settings.pre_samples, post: run.settings.early_exit_after ?? postTicks(run.settings) },
        failed: snaps.failed.post,
        intervalMs: run.settings.interval_ms,
        settle: snaps.settling ?? settleSamples(run.settings),
        healthy: opts.healthy,
        ...(snaps.endpoints && samplesTheApp(run.settings.source)
          ? { endpoints: { list: snaps.endpoints, rejected: snaps.rejected ?? 0, planned: postTicks(run.settings), settle: settleSamples(run.settings), action: opts.onEndpointFailure ?? 'rollback' } }
          : {}),
      });
  const interruptedBy = opts.interruptedBy ?? undefined;
  const report: VerdictReport = {
    deployment_id: run.id,
    project: run.project,
    env: run.env,
    verdict: analysis.verdict,
    confidence: analysis.confidence,
    summary: analysis.summary,
    details: analysis.details,
    metrics: analysis.metrics,
    hints: analysis.hints,
    ...(analysis.failing_endpoints ? { failing_endpoints: analysis.failing_endpoints } : {}),
    result: run.result,
    deploy_exit_code: run.deploy_exit_code,
    ...(run.deploy_signal ? { deploy_signal: run.deploy_signal } : {}),
    status: run.status,
    samples: { pre: history ? history.snapshots.length : snaps.pre.length, post: snaps.post.length, failed: snaps.failed.pre + snaps.failed.post },
    created_at: opts.now,
    exit_code: exitCodeFor({ status: run.status, verdict: analysis.verdict, interruptedBy }, opts.failOn),
  };
  if (opts.history) {
    report.baseline = { kind: 'history', runs: opts.history.runs, samples: opts.history.snapshots.length };
    if (!history) report.hints.push({ code: 'no_history', severity: 'warning', message: 'No earlier good run of this project and env in the store: compared against PRE instead.' });
  }
  if (opts.concurrent && opts.concurrent.length > 0 && !opts.outcome) {
    report.hints.push({
      code: 'concurrent_deployment',
      severity: 'warning',
      message: `Another deployment of ${run.project}/${run.env} overlapped this one (${opts.concurrent.join(', ')}): the PRE/POST comparison mixes both changes.`,
    });
    report.confidence = Math.round(report.confidence * 0.8 * 100) / 100;
  }
  if (opts.dryRun) applyDryRun(report);
  if (interruptedBy) report.interrupted_by = interruptedBy;
  const early = run.settings.early_exit_after;
  if (early !== undefined && !opts.outcome) {
    report.early_exit = { after_samples: early, planned_samples: postTicks(run.settings) };
    report.summary = `${report.summary} (${earlyExitNote(report.verdict, report.early_exit)})`;
  }
  return report;
}

/**
 * `--dry-run`: the verdict's own exit code (1 for a rollback, or attention with --fail-on
 * attention) is reported and not given. Exit codes that are not about the verdict (a failed
 * deploy, no verdict, an interruption) stand.
 */
export function applyDryRun(report: VerdictReport): void {
  report.dry_run = { exit_code: report.exit_code };
  if (report.exit_code === ExitCode.Regression) report.exit_code = ExitCode.Ok;
}

/** Default settle: a tenth of the window, at most a minute (restarts and warm-ups rarely take longer). */
export const MAX_DEFAULT_SETTLE_MS = 60_000;

/** POST ticks set aside at the start of the window (whether they get data or not): the configured settle time, or the default. */
export function settleSamples(settings: { window_ms: number; interval_ms: number; settle_ms?: number | null }): number {
  const settleMs = settings.settle_ms ?? Math.min(settings.window_ms / 10, MAX_DEFAULT_SETTLE_MS);
  return Math.ceil(settleMs / settings.interval_ms - 1e-9);
}

/** POST ticks the schedule plans: one per interval over the window. */
export function postTicks(settings: { window_ms: number; interval_ms: number }): number {
  return Math.max(1, Math.floor(settings.window_ms / settings.interval_ms));
}
