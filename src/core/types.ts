/**
 * Domain types shared by the analysis and every door around it (CLI, Action, store, reports).
 * Plain data only: nothing here knows about HTTP, SQL, files or the clock.
 */
import type { PhaseSamples } from './columns.js';
import type { EndpointFailure, EndpointsInput } from './outage.js';
import type { Scratch } from './scratch.js';

/** A signal that interrupts a run (the terminal's Ctrl-C, a stop, a hangup). */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

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
  /** Relative change, in percent, from which a significant move raises attention (the attention band; below threshold). */
  attention: number;
  /**
   * For a share of requests (error_rate): the metric giving requests per second. With it, the
   * metric is judged as event counts (errors out of requests), not as a ratio of ratios.
   */
  volume?: string;
  /**
   * For a share of requests: monotonic counters of events and requests since process start
   * (`errors_total`, `requests_total`). When the samples carry both, the share is judged on their
   * deltas (exact counts) instead of counts estimated from the rate and `volume`.
   */
  counters?: { events: string; requests: string };
  /**
   * For a rate per second (requests_per_sec): a monotonic counter since process start
   * (`requests_total`) that stands in for it where a sample does not report the rate: its delta over
   * the seconds between that sample and the one before.
   */
  counter?: string;
  /** Fewer POST requests than this (by `volume`): the metric can raise attention but never rollback. */
  min_volume: number;
  /** What a metric reported before the deploy but missing after it means for the verdict. */
  on_no_data: 'attention' | 'rollback' | 'ignore';
  /** Fewer samples than this in a phase: the metric can raise attention but never be a regression. */
  min_samples: number;
  /** Look for a steady rise (or fall) inside the POST window: latency creep, memory leaks. */
  trend: boolean;
  /** Negative values are impossible for most metrics (rates, durations, bytes) and are set aside as invalid. */
  allow_negative: boolean;
  /**
   * What a significant move past the threshold means when it came on gradually through the POST
   * window, with no step at the deploy: 'regression' as any other, or 'attention' (traffic: a
   * deploy that loses requests loses them at once; a slow decline is usually the day's own cycle).
   */
  gradual: 'attention' | 'regression';
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
  /** The rule's absolute floor, when it has one: a move smaller than this is noise, whatever its relative size. */
  min_delta?: number;
  status: MetricStatus;
  samples: { pre: number; post: number };
  /** Why: the test behind the status, so a report can defend the verdict. */
  evidence: Evidence;
}

export interface Evidence {
  /**
   * `shift`: robust test of the level (medians, noise from the samples, allowing for serial
   * dependence); `rate`: count test of a share of requests (binomial, widened by the measured
   * overdispersion); `none`: not testable.
   */
  test: 'shift' | 'rate' | 'none';
  /** One-sided p-value for a change in the bad direction (null when untested). */
  p_value: number | null;
  /** True when these sample sizes cannot reach significance at all: the status rests on the thresholds alone. */
  untestable: boolean;
  /** POST samples set aside as the settle period (restart blips), not compared. */
  settle_skipped: number;
  /** Events/requests compared by the rate test. */
  counts?: {
    pre_events: number;
    pre_requests: number;
    post_events: number;
    post_requests: number;
    /** true: estimated from the rate and the request rate; false: counted (counter deltas). */
    estimated: boolean;
    /** Variance over the binomial's that the samples showed (bursts, rolling windows); 1 = none. */
    overdispersion: number;
  };
  /**
   * The values were whole counts per interval of a counted rate (requests counted per interval,
   * reported per second): each phase's total, and the exact count test's p-value. `p_value` is
   * never below it: no test of these counts can honestly be more certain.
   */
  counted?: { pre: number; post: number; p_value: number };
  /** A steady move inside the POST window: projected change over the window in percent of the baseline, and its p-value. */
  trend?: { change_pct: number; p_value: number };
  /** Values present but not usable (strings, null, negative where impossible), per phase. */
  invalid: { pre: number; post: number };
  /** The counter this rate was read from where the samples did not report it (`requests_total`). */
  from_counter?: string;
  /** Samples without timestamps (a sample file) had their rate from the counter read as this many seconds apart: the interval setting. */
  untimed_interval_s?: number;
  /** Earlier healthy runs pooled with the window's own noise: how many, and their typical PRE-to-POST move in percent. */
  history?: { runs: number; typical_change_pct: number };
  /**
   * PRE was already moving the bad way: the p-value of that trend, and of a step at the deploy
   * beyond it (a large one means the move continues the trend rather than starting at the deploy).
   * `last_samples`: the move was a level PRE's last samples had already reached (that many), and
   * pre_trend_p is theirs against the earlier samples.
   */
  drift?: { pre_trend_p: number; step_p: number; last_samples?: number };
  /**
   * The window moved less than the threshold, but its first `samples` judged POST samples stepped
   * past twice the threshold from PRE's last `samples`: the step's change in percent and p-value.
   */
  deploy_step?: { change_pct: number; p_value: number; samples: number };
  /**
   * A move that came on gradually after the deploy (rule key `gradual: attention`): the change at the
   * deploy read off the POST window's trend line, in percent of the baseline, and that trend's p-value.
   */
  gradual?: { step_change_pct: number; trend_p: number };
  /**
   * The samples moved past the threshold pair by pair while the medians did not: the median of the
   * PRE-to-POST moves of every pair of samples (Hodges-Lehmann), in percent of the baseline.
   */
  pairwise?: { change_pct: number };
}

export type HintSeverity = 'info' | 'warning' | 'critical';

export interface Hint {
  code: string;
  severity: HintSeverity;
  message: string;
}

/** Input of the analysis: aggregated snapshots per phase, plus what was expected of the sampling. */
export interface AnalysisInput {
  /** Snapshots, or columns built as samples arrived (cheaper when the same samples are judged again and again). */
  pre: PhaseSamples;
  post: PhaseSamples;
  rules: Rules;
  /** Samples the schedule planned; used to tell "few by design" from "missing". */
  expected?: { pre: number; post: number };
  /** Sample ticks that produced no data at all (every endpoint failed). */
  failed?: number;
  /** Time between samples; lets count-aware rules turn rates into event counts. */
  intervalMs?: number;
  /**
   * PRE's samples end where POST's begin (the default: the run's own samples before the deploy).
   * false when PRE is something else (`--baseline history`: earlier runs' POST windows, one after
   * another): nothing in it sits next to the deploy, so neither a drift already under way before
   * the deploy nor a step right after it is read from it.
   */
  preAdjacent?: boolean;
  /** POST samples to set aside at the start of the window (default: about a tenth of them). */
  settle?: number;
  /** Significance level of the one-sided tests (default 0.05). */
  alpha?: number;
  /**
   * Earlier healthy runs of the same project and env (PRE and POST each): how far a metric moves
   * from PRE to POST when nothing is wrong. A move no larger than those is not a regression.
   */
  healthy?: readonly { pre: PhaseSamples; post: PhaseSamples }[];
  /**
   * Each sampled endpoint's answered and failed requests, per phase: an endpoint that answered
   * before the deploy and fails a sustained share of the window after it is a finding (outage.ts).
   * Given only for sources that sample the app itself (its /ds-metrics or /metrics, a command).
   */
  endpoints?: EndpointsInput;
  /**
   * Work arrays to reuse, for a caller that judges again and again (the live view, after every
   * tick). Never shared by two analyses at once. Default: fresh for this call.
   */
  scratch?: Scratch;
}

export interface Analysis {
  /** null when no verdict can be made (no POST sample at all). */
  verdict: Verdict | null;
  confidence: number;
  summary: string;
  details: string[];
  metrics: MetricResult[];
  hints: Hint[];
  /** Endpoints that answered before the deploy and failed a sustained share of the window after it (absent when none). */
  failing_endpoints?: EndpointFailure[];
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
  /** Set when a signal ended the deploy command (its exit code is then null): `SIGKILL` from the OOM killer, say. */
  deploy_signal?: string;
  /** How the run ended: finished normally, deploy failed, or interrupted by a signal. */
  status: RunStatus;
  samples: { pre: number; post: number; failed: number };
  created_at: string;
  /** The exit code this verdict gave (SPEC §7), so `verdict <id>` can give it again. */
  exit_code: number;
  /** Set when the window was cut short because a regression was already decisive. */
  early_exit?: { after_samples: number; planned_samples: number };
  /** Set with `--baseline history`: the runs whose POST samples were the baseline. */
  baseline?: { kind: 'history'; runs: string[]; samples: number };
  /** Set with `--dry-run`: the exit code the verdict would have given (the command exits 0 instead of 1). */
  dry_run?: { exit_code: number };
  /** Set when a signal interrupted the run. */
  interrupted_by?: StopSignal;
  /** `analyze <id>` only: the verdict the store holds for the run (unchanged by judging it again), to read next to the new one. */
  stored_verdict?: { verdict: Verdict | null; confidence: number; summary: string; created_at: string } | null;
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
