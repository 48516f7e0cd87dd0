/** Builds the verdict document (SPEC §6) for a run from its stored samples, with the shared analysis. */
import { analyze } from '../core/analyze.js';
import { exitCodeFor, type FailOn } from '../core/exit-code.js';
import type { Analysis, Rules, VerdictReport } from '../core/types.js';
import type { RunRecord, StoredSample } from '../store/types.js';
import { snapshotsFromSamples } from './snapshots.js';

export interface ReportOptions {
  rules: Rules;
  failOn: FailOn;
  /** Creation time of the verdict (ISO). */
  now: string;
  interruptedBy?: 'SIGINT' | 'SIGTERM' | null;
  /** Replaces the analysis for runs that ended without one (deploy failed, interrupted). */
  outcome?: Pick<Analysis, 'summary' | 'details'>;
}

export function buildReport(run: RunRecord, samples: readonly StoredSample[], opts: ReportOptions): VerdictReport {
  const snaps = snapshotsFromSamples(samples, opts.rules);
  const analysis: Analysis = opts.outcome
    ? { verdict: null, confidence: 0, metrics: [], hints: [], ...opts.outcome }
    : analyze({
        pre: snaps.pre,
        post: snaps.post,
        rules: opts.rules,
        expected: { pre: run.settings.pre_samples, post: run.settings.early_exit_after ?? postTicks(run.settings) },
        failed: snaps.failed.post,
        intervalMs: run.settings.interval_ms,
        settle: settleSamples(run.settings),
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
    result: run.result,
    deploy_exit_code: run.deploy_exit_code,
    status: run.status,
    samples: { pre: snaps.pre.length, post: snaps.post.length, failed: snaps.failed.pre + snaps.failed.post },
    created_at: opts.now,
    exit_code: exitCodeFor({ status: run.status, verdict: analysis.verdict, interruptedBy }, opts.failOn),
  };
  if (interruptedBy) report.interrupted_by = interruptedBy;
  const early = run.settings.early_exit_after;
  if (early !== undefined && !opts.outcome) {
    report.early_exit = { after_samples: early, planned_samples: postTicks(run.settings) };
    report.summary = `${report.summary} (decided early, after ${early} of ${postTicks(run.settings)} POST samples)`;
  }
  return report;
}

/** Default settle: a tenth of the window, at most a minute (restarts and warm-ups rarely take longer). */
export const MAX_DEFAULT_SETTLE_MS = 60_000;

/** POST samples set aside at the start of the window: the configured settle time, or the default. */
export function settleSamples(settings: { window_ms: number; interval_ms: number; settle_ms?: number | null }): number {
  const settleMs = settings.settle_ms ?? Math.min(settings.window_ms / 10, MAX_DEFAULT_SETTLE_MS);
  return Math.ceil(settleMs / settings.interval_ms - 1e-9);
}

/** POST ticks the schedule plans: one per interval over the window. */
export function postTicks(settings: { window_ms: number; interval_ms: number }): number {
  return Math.max(1, Math.floor(settings.window_ms / settings.interval_ms));
}
