/**
 * Domain types shared by the analysis and every door around it (CLI, Action, store, reports).
 * Plain data only: nothing here knows about HTTP, SQL, files or the clock.
 */

export type Phase = 'pre' | 'post';

/** One metrics snapshot, as an app (or a sample file) reported it. Values are kept raw: numbers are judged, anything else is only stored. */
export interface MetricSnapshot {
  /** ISO 8601 time the snapshot was taken, when known. */
  timestamp?: string;
  metrics: Record<string, unknown>;
}

/** Which way a change is bad. */
export type Direction = 'increase' | 'decrease' | 'both';

/** How several endpoints' values of one metric become one value per sample. */
export type Aggregation = 'mean' | 'sum' | 'max' | 'min';

export interface MetricRule {
  direction: Direction;
  /** Relative change, in percent, that counts as a regression (always positive; the direction says which way). */
  threshold: number;
  /** A breach of a critical metric alone is enough for rollback_recommended. */
  critical: boolean;
  /** Absolute change below which a move is noise, whatever its relative size (0 disables). */
  min_delta: number;
  aggregate: Aggregation;
}

export type Rules = Record<string, MetricRule>;

export type Verdict = 'ok' | 'attention' | 'rollback_recommended';

export type MetricStatus =
  | 'ok'
  | 'improvement'
  | 'warning'
  | 'regression'
  | 'no_data'
  | 'no_baseline';

export interface MetricResult {
  name: string;
  baseline: number | null;
  current: number | null;
  /** Relative change in percent, signed; null when it cannot be computed (no data, or a zero baseline). */
  change_pct: number | null;
  threshold_pct: number;
  direction: Direction;
  status: MetricStatus;
  samples: { pre: number; post: number };
}

export type HintSeverity = 'info' | 'warning' | 'critical';

export interface Hint {
  code: string;
  severity: HintSeverity;
  message: string;
}

/** Input of the analysis: aggregated snapshots per phase, plus what was expected of the sampling. */
export interface AnalysisInput {
  pre: readonly MetricSnapshot[];
  post: readonly MetricSnapshot[];
  rules: Rules;
  /** Samples the schedule planned; used to tell "few by design" from "missing". */
  expected?: { pre: number; post: number };
  /** Sample ticks that produced no data at all (every endpoint failed). */
  failed?: number;
}

export interface Analysis {
  /** null when no verdict can be made (no POST sample at all). */
  verdict: Verdict | null;
  confidence: number;
  summary: string;
  details: string[];
  metrics: MetricResult[];
  hints: Hint[];
}

export type DeployResult = 'success' | 'failed';

/** The verdict document of SPEC §6, as printed with --json, stored, and rendered in reports. */
export interface VerdictReport extends Analysis {
  deployment_id: string;
  project: string;
  env: string;
  /** The deploy command's outcome, never the verdict. null while unknown (interrupted before the deploy ended). */
  result: DeployResult | null;
  /** The deploy command's own exit code, when it ran. */
  deploy_exit_code: number | null;
  /** How the run ended: finished normally, deploy failed, or interrupted by a signal. */
  status: RunStatus;
  samples: { pre: number; post: number; failed: number };
  created_at: string;
  /** The exit code this verdict gave (SPEC §7), so `verdict <id>` can give it again. */
  exit_code: number;
  /** Set when a signal interrupted the run. */
  interrupted_by?: 'SIGINT' | 'SIGTERM';
}

/** Lifecycle of a stored run. */
export type RunStatus =
  | 'started' // PRE done (start) or in progress (run)
  | 'deploying'
  | 'observing'
  | 'finished' // verdict stored (or no verdict possible)
  | 'deploy_failed'
  | 'interrupted'
  | 'abandoned';
