/**
 * The one schema for seqpulse settings. The config file, SEQPULSE_* variables and flags are each
 * validated against it (so a wrong value is reported against the place it came from), then merged.
 */
import { z } from 'zod';
import { formatDuration, parseDuration } from './duration.js';
import { sqlUrlIssue, storeLocationIssue } from '../store/location.js';

/** The longest POST window: a day of observing is monitoring, not a deploy's verdict. */
export const MAX_WINDOW_MS = 24 * 3_600_000;

// YAML's .inf and .nan are numbers z.number() refuses, which left the union's bare "invalid input".
const duration = z.union([z.string(), z.number()], {
  error: ({ input }) => `${typeof input === 'number' ? `${yamlNumber(input)} is not a finite duration` : `expected a duration, got ${input === null ? 'null' : typeof input}`} (use e.g. 500ms, 10s, 15m, 1h, or a number of seconds)`,
}).transform((value, ctx) => {
  const parsed = parseDuration(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.reason });
    return z.NEVER;
  }
  return parsed.ms;
});

/** A number the way the YAML file wrote it (.inf, -.inf, .nan). */
function yamlNumber(n: number): string {
  return Number.isNaN(n) ? '.nan' : n === Infinity ? '.inf' : n === -Infinity ? '-.inf' : String(n);
}

/** The shortest interval between samples. */
export const MIN_INTERVAL_MS = 10;

/**
 * The longest wait any setting may ask for (a timeout, an interval, a grace period), as for the
 * window: a day. Past 2^31 ms (24.8 days) a timer would not wait at all: Node sets it to 1 ms (and
 * warns on stderr), so `--timeout 25d` made every request time out at once.
 */
export const MAX_WAIT_MS = 24 * 3_600_000;

/** A duration something waits for: at most MAX_WAIT_MS, checked in the layer that sets it. */
const wait = duration.refine((ms) => ms <= MAX_WAIT_MS, { message: 'must be at most 24h' });

/** A budget of time that must leave room for something to happen: checked in the layer that sets it, so the error names that flag, variable or line. */
const budget = wait.refine((ms) => ms >= 1, { message: 'must be more than 0' });

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

/** Checked in the layer that sets it, so a mistyped URL is refused naming that flag, variable or line (and never becomes a file). */
const location = (issueOf: (value: string) => string | undefined) =>
  z
    .string()
    .min(1)
    .superRefine((value, ctx) => {
      const issue = issueOf(value);
      if (issue !== undefined) ctx.addIssue({ code: 'custom', message: issue });
    });
const storeLocation = location(storeLocationIssue);

/**
 * Names are stored, synced, put in Pushgateway paths and shown: a control character (NUL, which
 * Postgres refuses; a line break; an escape) has no place in one.
 */
const NO_CONTROLS = /^[^\p{Cc}]*$/u;
const NO_CONTROLS_SAID = 'must not contain control characters (NUL, a line break, a tab, an escape)';

const metricName = z.string().regex(/^[A-Za-z_][\w.:-]*$/, 'metric names are letters, digits, _ . : -');

export const SOURCE_TYPES = ['ds-metrics', 'prometheus-scrape', 'prometheus', 'sql', 'command'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

export const RuleSchema = z.strictObject({
  direction: z.enum(['increase', 'decrease', 'both']).optional().describe('Which way a change is bad.'),
  threshold: z.number().positive().optional().describe('Relative change, in percent, that counts as a regression (needed for a metric without a default rule).'),
  critical: z.boolean().optional().describe('A regression of this metric alone is enough for rollback_recommended.'),
  min_delta: z.number().nonnegative().optional().describe('Absolute change below which a move is noise, whatever its relative size.'),
  aggregate: z.enum(['mean', 'sum', 'max', 'min']).optional().describe('How several endpoints\' values become one per sample.'),
  attention: z.number().positive().optional().describe('Relative change, in percent, from which a significant move raises attention: at most the threshold (default: half of it).'),
  volume: z.string().min(1).optional().describe('The metric giving requests per second, for a share of requests: it is then judged as event counts.'),
  min_volume: z.number().nonnegative().optional().describe('Fewer POST requests than this (by volume): attention at most, never rollback.'),
  on_no_data: z.enum(['attention', 'rollback', 'ignore']).optional().describe('What it means when the metric was reported before the deploy and not after.'),
  min_samples: z.number().int().min(1).max(1000).optional().describe('Fewer samples than this in a phase: attention at most, never a regression.'),
  trend: z.boolean().optional().describe('Look for a steady rise (or fall) inside the POST window: latency creep, leaks.'),
  allow_negative: z.boolean().optional().describe('Accept negative values (most metrics cannot be negative: such values are set aside as invalid).'),
  gradual: z.enum(['attention', 'regression']).optional().describe('A significant move past the threshold that came on gradually through the POST window, with no step at the deploy: attention (default for requests_per_sec: traffic follows its users) or a regression (default).'),
  enabled: z.boolean().optional().describe('false turns a default rule off (the metric is still stored, not judged).'),
});
export type RuleInput = z.infer<typeof RuleSchema>;

const settingsShape = {
  project: z.string().min(1).max(200).regex(NO_CONTROLS, NO_CONTROLS_SAID).describe('Project (service) name. Default: the working directory\'s name.'),
  env: z.string().min(1).max(100).regex(NO_CONTROLS, NO_CONTROLS_SAID).describe('Environment name; selects the environments: overrides. Default: default.'),
  endpoints: z.array(endpoint).min(1).describe('The app\'s signed /ds-metrics URLs (or /metrics URLs for source prometheus-scrape), one per instance.'),
  secret: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('HMAC secret; several during a rotation. Prefer SEQPULSE_HMAC_SECRET: a file is readable by anyone with the repository.'),
  pre_samples: z.number().int().min(0).max(10_000).describe('PRE samples before the deploy. Default: 12 (two minutes at the default interval: real metrics vary more than a few samples show; see docs/analysis.md).'),
  interval: wait.refine((ms) => ms >= MIN_INTERVAL_MS, { error: (issue) => `${typeof issue.input === 'number' ? formatDuration(issue.input) : 'this'} is too short: must be at least ${formatDuration(MIN_INTERVAL_MS)}` }).describe('Time between samples (500ms, 10s, 1m), at least 10ms, at most 24h. Default: 10s.'),
  // A bound that holds whatever sets it (a flag, the config, a run's stored settings): every run ends.
  window: duration.refine((ms) => ms <= MAX_WINDOW_MS, { message: 'must be at most 24h: seqpulse judges a deploy, it does not monitor (use a window of minutes to hours)' }).describe('POST observation window, at most 24h. Default: 5m.'),
  timeout: budget.describe('Budget of one request (or query, or command), at most 24h. Default: 5s.'),
  retries: z.number().int().min(0).max(10).describe('Extra attempts per sample on transient failures. Default: 2.'),
  fail_on: z.enum(['rollback', 'attention', 'never']).describe('Which verdict exits 1. Default: rollback.'),
  store: storeLocation.describe('Where runs are kept: a SQLite path (also as file:PATH or file:///PATH) or postgres://... (postgresql://); a URL of any other scheme is refused. Default: .seqpulse/seqpulse.db.'),
  on_store_error: z.enum(['fail', 'continue']).describe('A store that cannot be opened (read-only or full disk, not a database, server down): fail (exit 2, nothing deployed), or continue (a loud warning; the run and its verdict go ahead in memory and nothing is kept). Default: fail.'),
  sync: storeLocation.describe('A shared store (postgres://... or a SQLite path, as for store) each run is pushed to after the local write.'),
  store_timeout: budget.describe('Deadline of one operation on a Postgres store or sync target (connecting, a query, a transaction). Past it the connection is destroyed and the operation fails; the server is also told to cancel any statement running longer (statement_timeout) and to end a session left idle in a transaction. At most 24h. Default: 10s.'),
  sync_timeout: budget.describe('The most --sync may add to a command: the overlap lookup at the end of the run, the push and closing the connection, together. Past it the run goes on unsynced (a warning, same exit code; `seqpulse sync` pushes it later). At most 24h. Default: 30s.'),
  kill_grace: wait.describe('Time the deploy command gets to exit after SIGINT/SIGTERM/SIGHUP is passed on to its process group, before the whole group is killed (SIGKILL); at most 24h. Default: 10s.'),
  log_format: z.enum(['text', 'json']).describe("Logs on stderr: text, or one JSON object per line (the deploy command's output too, as `deploy_output` events). Default: text."),
  settle: wait.describe('POST time set aside after the deploy before comparing (restarts, warm-up); shorter than the window. Default: a tenth of the window, at most 1m.'),
  early_exit: z.boolean().describe('Stop the window early with rollback_recommended when a regression is already decisive. Default: true.'),
  persist: z.number().int().min(1).max(100).describe('POST samples in a row a regression must hold before an early rollback. Default: 3.'),
  on_endpoint_failure: z
    .enum(['rollback', 'attention', 'no_verdict'])
    .describe('An endpoint that answered before the deploy and failed at least half of the POST window after it (docs/analysis.md): rollback (rollback_recommended, and the window may end early), attention, or no_verdict (exit 3; a rollback the metrics show still stands). Never ok. Default: rollback.'),
  baseline: z.enum(['pre', 'history']).describe('Compare POST against PRE, or against the POST samples of recent good runs of the same project and env. Default: pre.'),
  history_runs: z.number().int().min(1).max(100).describe('Recent good runs in the history baseline. Default: 5.'),
  dry_run: z.boolean().describe('Run everything and report the verdict it would give, but exit 0.'),
  metrics: z
    .record(metricName, RuleSchema)
    .superRefine((rules, ctx) => {
      // A share's requests cannot be the share itself: "0 errors in 0 requests" judged instead of the rate.
      for (const [name, rule] of Object.entries(rules)) {
        if (rule.volume === name) ctx.addIssue({ code: 'custom', path: [name, 'volume'], message: `${name} cannot be its own volume: name the metric giving requests per second (requests_per_sec), or leave volume out` });
      }
    })
    .describe('Rules per metric: override the defaults, or add metrics.'),
  source: z.enum(SOURCE_TYPES).describe('Where samples come from. Default: ds-metrics.'),
  queries: z.record(metricName, z.string().trim().min(1, 'must not be empty')).describe('Metric name -> what gives it: a scrape expression (prometheus-scrape), a PromQL query (prometheus) or a SQL query returning one number (sql).'),
  prometheus_url: endpoint.describe('The Prometheus server (source prometheus).'),
  pre_range: duration.describe('Take PRE from this much of the Prometheus server\'s recent history instead of PRE samples (source prometheus).'),
  sql_url: location(sqlUrlIssue).describe('The database for business metrics (source sql): postgres://... (ideally a read replica) or a SQLite path (also as sqlite:PATH or file:PATH); a URL of any other scheme is refused.'),
  sql_max_rows: z.number().int().min(1).max(100_000).describe('Rows a metric query may return at most. Default: 1000.'),
  sql_budget: z.number().int().min(1).max(1_000_000).describe('Queries one run may send at most. Default: twice what the run plans.'),
  source_command: z.union([z.string().trim().min(1), z.array(z.string().min(1)).min(1)]).describe('A command printing one sample as JSON, {"metrics": {...}} (source command): a string split on spaces, or an argv list.'),
  insecure: z.boolean().describe('Skip TLS certificate verification of the endpoints. Never in production: anyone on the path could read and forge the metrics. Prefer NODE_EXTRA_CA_CERTS for a private CA.'),
  pushgateway: endpoint.describe('A Prometheus Pushgateway to push seqpulse\'s own metrics to at the end of each run.'),
  // Trimmed as the HMAC secret's lines are (a token read from a file ends with a newline); a control
  // character left inside could never be sent in a header: every request failed with "network error".
  source_token: z.string().trim().min(1).regex(NO_CONTROLS, NO_CONTROLS_SAID).describe('Bearer token for a Prometheus source. Prefer SEQPULSE_SOURCE_TOKEN.'),
};

/** One layer of settings (all optional), as the file, the environment or the flags give it. */
export const SettingsSchema = z.strictObject(settingsShape).partial();
export type SettingsInput = z.input<typeof SettingsSchema>;
export type Settings = z.output<typeof SettingsSchema>;

/** The config file: settings plus per-environment overrides. */
export const FileSchema = SettingsSchema.extend({
  environments: z.record(z.string(), SettingsSchema.omit({ env: true })).optional().describe('Overrides per environment name (any key but env).'),
});
export type FileSettings = z.output<typeof FileSchema>;

export const DEFAULTS = {
  env: 'default',
  pre_samples: 12,
  interval: 10_000,
  window: 300_000,
  timeout: 5_000,
  retries: 2,
  fail_on: 'rollback',
  on_store_error: 'fail',
  store: '.seqpulse/seqpulse.db',
  store_timeout: 10_000,
  sync_timeout: 30_000,
  kill_grace: 10_000,
  log_format: 'text',
} as const;
