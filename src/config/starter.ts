/** The commented starter file `seqpulse init` writes. */
export const STARTER_CONFIG = `# seqpulse.yml — how seqpulse judges your deploys.
# Precedence: command-line flags > SEQPULSE_* environment variables > this file > defaults.
# Durations: 500ms, 10s, 15m, 1h (a bare number is seconds).

# Name of the service and the environment; runs are grouped by these in the store.
project: my-service
env: staging

# The app's signed metrics endpoints. Several instances are sampled together.
endpoints:
  - http://127.0.0.1:8080/ds-metrics

# The HMAC secret shared with the app. Keep it out of this file: set SEQPULSE_HMAC_SECRET instead.
# secret: change-me

pre_samples: 12    # PRE samples taken before the deploy, one per interval (12 x 10s = 2 minutes)
interval: 10s      # time between samples
window: 5m         # POST observation window after the deploy
timeout: 5s        # per request
retries: 2         # extra attempts per sample on timeouts, 5xx, 429 and malformed bodies
fail_on: rollback  # rollback | attention | never: which verdict makes the command exit 1
# settle: 30s      # POST time set aside after the deploy (restarts); default a tenth of the window, at most 1m
early_exit: true   # end the window early when a regression is already decisive (ok always waits)
on_endpoint_failure: rollback   # an endpoint that answered before the deploy and fails half the window after: rollback | attention | no_verdict

store: .seqpulse/seqpulse.db   # where runs, raw samples and verdicts are kept

# Rules per metric. Only metrics with a rule are judged; every metric is stored. docs/analysis.md explains each field.
# direction:   increase | decrease | both (which way is bad)
# threshold:   relative change, in percent, that counts as a regression (the rollback band)
# attention:   relative change, in percent, from which a significant move raises attention (default: half the threshold)
# critical:    a regression of this metric alone is enough for rollback_recommended
# min_delta:   absolute change below which a move is noise
# volume:      for a share of requests, the requests-per-second metric to count it against
# min_volume:  fewer POST requests than this: at most attention
# min_samples: fewer samples than this in a phase: at most attention (default 3)
# on_no_data:  attention | rollback | ignore (a metric reported before the deploy but not after)
# trend:       watch for a steady rise inside the window (leaks, creep)
# gradual:     attention | regression (a move past the threshold that came on gradually through
#              the window, with no step at the deploy: traffic's is the day's cycle, attention)
# aggregate:   mean | sum | max | min (how several endpoints' values are combined)
# enabled:     false turns a default rule off
metrics:
  error_rate:       { direction: increase, threshold: 50, critical: true, min_delta: 0.005, volume: requests_per_sec, min_volume: 50 }
  latency_p95:      { direction: increase, threshold: 30, trend: true }
  latency_p99:      { direction: increase, threshold: 40, trend: true }
  cpu_usage:        { direction: increase, threshold: 50 }
  memory_usage:     { direction: increase, threshold: 70, trend: true }
  requests_per_sec: { direction: decrease, threshold: 40, critical: true, aggregate: sum, gradual: attention }
  db_connections:   { direction: increase, threshold: 60, min_delta: 2, aggregate: sum }
  # A business metric of your own:
  # checkout_failures: { direction: increase, threshold: 25, critical: true }

# Per-environment overrides, chosen by --env / SEQPULSE_ENV / env above.
environments:
  prod:
    window: 15m
    metrics:
      latency_p95: { threshold: 20 }
`;
