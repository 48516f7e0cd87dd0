/**
 * The one schema for seqpulse settings. The config file, SEQPULSE_* variables and flags are each
 * validated against it (so a wrong value is reported against the place it came from), then merged.
 */
import { z } from 'zod';
import { parseDuration } from './duration.js';

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const parsed = parseDuration(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.reason });
    return z.NEVER;
  }
  return parsed.ms;
});

const endpoint = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { message: 'must be an http:// or https:// URL' },
);

const metricName = z.string().regex(/^[A-Za-z_][\w.:-]*$/, 'metric names are letters, digits, _ . : -');

export const SOURCE_TYPES = ['ds-metrics', 'prometheus-scrape', 'prometheus', 'sql', 'command'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

export const RuleSchema = z.strictObject({
  direction: z.enum(['increase', 'decrease', 'both']).optional(),
  threshold: z.number().positive().optional(),
  critical: z.boolean().optional(),
  min_delta: z.number().nonnegative().optional(),
  aggregate: z.enum(['mean', 'sum', 'max', 'min']).optional(),
  /** Attention band, in percent (default: half the threshold). */
  attention: z.number().positive().optional(),
  /** The metric giving requests per second, for a share of requests (judged as counts). */
  volume: z.string().min(1).optional(),
  min_volume: z.number().nonnegative().optional(),
  on_no_data: z.enum(['attention', 'rollback', 'ignore']).optional(),
  min_samples: z.number().int().min(1).max(1000).optional(),
  trend: z.boolean().optional(),
  allow_negative: z.boolean().optional(),
  /** false turns a default rule off (the metric is still stored, not judged). */
  enabled: z.boolean().optional(),
});
export type RuleInput = z.infer<typeof RuleSchema>;

const settingsShape = {
  project: z.string().min(1).max(200),
  env: z.string().min(1).max(100),
  endpoints: z.array(endpoint).min(1),
  /** Several secrets during a rotation: each request carries one `v1=` value per secret. */
  secret: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  pre_samples: z.number().int().min(0).max(10_000),
  interval: duration,
  window: duration,
  timeout: duration,
  retries: z.number().int().min(0).max(10),
  fail_on: z.enum(['rollback', 'attention', 'never']),
  store: z.string().min(1),
  sync: z.string().min(1),
  log_format: z.enum(['text', 'json']),
  /** POST time set aside after the deploy before comparing (restarts, warm-up). Default: a tenth of the window. */
  settle: duration,
  /** Stop the window early with rollback_recommended when a regression is already decisive. */
  early_exit: z.boolean(),
  /** Consecutive POST samples a regression must hold before an early rollback. */
  persist: z.number().int().min(1).max(100),
  /** Compare POST against PRE (default) or against the POST samples of recent good runs of the same project and env. */
  baseline: z.enum(['pre', 'history']),
  /** How many recent good runs make the history baseline. */
  history_runs: z.number().int().min(1).max(100),
  /** Run everything and report the verdict it would give, but exit 0. */
  dry_run: z.boolean(),
  metrics: z.record(metricName, RuleSchema),
  /** Where samples come from (default: the signed `/ds-metrics` endpoints). */
  source: z.enum(SOURCE_TYPES),
  /** Metric name -> what gives it: a scrape expression, a PromQL query, or a SQL query returning one number. */
  queries: z.record(metricName, z.string().trim().min(1, 'must not be empty')),
  /** The Prometheus server (`source: prometheus`). */
  prometheus_url: endpoint,
  /** PRE from the server's recent past instead of PRE samples (`source: prometheus`). */
  pre_range: duration,
  /** The database to read business metrics from (`source: sql`): postgres://... (ideally a read replica) or a SQLite path. */
  sql_url: z.string().min(1),
  /** Rows a query may return at most (a metric query returns one). */
  sql_max_rows: z.number().int().min(1).max(100_000),
  /** Queries one run may send at most, all metrics and samples together. */
  sql_budget: z.number().int().min(1).max(1_000_000),
  /** A command printing one sample as JSON (`{"metrics": {...}}`) (`source: command`): a string (split on spaces) or an argv list. */
  source_command: z.union([z.string().trim().min(1), z.array(z.string().min(1)).min(1)]),
  /** A Prometheus Pushgateway to push seqpulse's own metrics to at the end of each run. */
  pushgateway: endpoint,
  /** Bearer token for a Prometheus source (prefer SEQPULSE_SOURCE_TOKEN). */
  source_token: z.string().min(1),
};

/** One layer of settings (all optional), as the file, the environment or the flags give it. */
export const SettingsSchema = z.strictObject(settingsShape).partial();
export type SettingsInput = z.input<typeof SettingsSchema>;
export type Settings = z.output<typeof SettingsSchema>;

/** The config file: settings plus per-environment overrides. */
export const FileSchema = SettingsSchema.extend({
  environments: z.record(z.string(), SettingsSchema.omit({ env: true })).optional(),
});
export type FileSettings = z.output<typeof FileSchema>;

export const DEFAULTS = {
  env: 'default',
  pre_samples: 3,
  interval: 10_000,
  window: 300_000,
  timeout: 5_000,
  retries: 2,
  fail_on: 'rollback',
  store: '.seqpulse/seqpulse.db',
  log_format: 'text',
} as const;
