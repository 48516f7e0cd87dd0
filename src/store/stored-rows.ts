/**
 * What is read back from a store is checked before anything uses it. A shared store has other
 * writers (another seqpulse version, a script, a hostile one), and a row may hold anything: text
 * that is not JSON, a verdict whose numbers are strings, settings without their timing. Such a row
 * is a StoreError naming the run, the column and what is wrong (exit 2, no stack trace), never a
 * crash in a renderer; the row itself is left as it is. Types are checked, not words: a verdict or
 * a status seqpulse does not know is text, which every renderer shows escaped (output/terminal.ts).
 * Objects are loose: fields a newer seqpulse adds pass through.
 */
import { z } from 'zod';
import { ExitCode, StoreError } from '../errors.js';

const num = z.number();
const strings = z.array(z.string());

/**
 * The codes a verdict can exit with (SPEC §7, and 129 for SIGHUP): `verdict <id>` exits with the
 * stored one, and the process keeps only its low 8 bits, so a tampered 256 would exit 0 under a
 * rollback. Refused rather than recomputed: the fail-on it was made with is not stored, and the
 * contract is "the exit code it had", which such a row cannot tell.
 */
const VERDICT_EXIT_CODES: readonly number[] = [ExitCode.Ok, ExitCode.Regression, ExitCode.NoVerdict, ExitCode.DeployFailed, ExitCode.Sighup, ExitCode.Sigint, ExitCode.Sigterm];
const exitCode = z.number().refine((n) => VERDICT_EXIT_CODES.includes(n), {
  error: (issue) => `${JSON.stringify(issue.input)} is not an exit code a verdict has (${VERDICT_EXIT_CODES.join(', ')})`,
});

const MetricResultSchema = z.looseObject({
  name: z.string(),
  baseline: num.nullable(),
  current: num.nullable(),
  change_pct: num.nullable(),
  threshold_pct: num,
  direction: z.string(),
  min_delta: num.optional(),
  status: z.string(),
  samples: z.looseObject({ pre: num, post: num }),
  evidence: z.looseObject({
    test: z.string(),
    p_value: num.nullable(),
    untestable: z.boolean(),
    settle_skipped: num,
    counts: z.looseObject({ estimated: z.boolean() }).optional(),
    trend: z.looseObject({ change_pct: num, p_value: num }).optional(),
    drift: z.looseObject({ pre_trend_p: num, step_p: num, last_samples: num.optional() }).optional(),
    gradual: z.looseObject({ step_change_pct: num, trend_p: num }).optional(),
    pairwise: z.looseObject({ change_pct: num }).optional(),
    deploy_step: z.looseObject({ change_pct: num, p_value: num, samples: num }).optional(),
    counted: z.looseObject({ pre: num, post: num, p_value: num }).optional(),
  }),
});

const VerdictReportSchema = z.looseObject({
  deployment_id: z.string(),
  project: z.string(),
  env: z.string(),
  verdict: z.string().nullable(),
  confidence: num,
  summary: z.string(),
  details: strings,
  metrics: z.array(MetricResultSchema),
  hints: z.array(z.looseObject({ code: z.string(), severity: z.string(), message: z.string() })),
  result: z.string().nullable(),
  deploy_exit_code: num.nullable(),
  status: z.string(),
  samples: z.looseObject({ pre: num, post: num, failed: num }),
  created_at: z.string(),
  exit_code: exitCode,
  early_exit: z.looseObject({ after_samples: num, planned_samples: num }).optional(),
  baseline: z.looseObject({ runs: strings }).optional(),
  dry_run: z.looseObject({ exit_code: exitCode }).optional(),
});

/** Its timing is not checked here: `finish` validates a run's stored timing itself, and says what it did not use (run-settings.ts). */
const RunSettingsSchema = z.looseObject({ endpoints: strings, source: z.string().optional() });

const METRICS = z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'expected an object');

/** A JSON column of a stored row, checked against `schema`; `what` names it in the error (`the verdict of run <id>`). */
function storedJson<T>(schema: z.ZodType, text: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed(what, 'not JSON');
  }
  const checked = schema.safeParse(value);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw malformed(what, `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message.replace(/^Invalid input: /, '')}`);
  }
  // The value as stored (not zod's copy): nothing is dropped, and a metric named `__proto__` stays a key.
  return value as T;
}

/**
 * A row read back that seqpulse cannot use: not a failure of the store, which answered. What only
 * looks through many runs (settling abandoned ones, the earlier runs a verdict compares with) leaves
 * such a row out instead of failing on it; what shows or judges that run says so.
 */
export class UnreadableRowError extends StoreError {}

function malformed(what: string, reason: string): StoreError {
  return new UnreadableRowError(
    `the store holds ${what} in a form seqpulse cannot read (${reason})`,
    undefined,
    'The row was not written by this seqpulse, or was changed since; it is left as it is. Check what else writes to this store.',
  );
}

export function storedVerdict<T>(text: string, runId: string): T {
  return storedJson<T>(VerdictReportSchema, text, `the verdict of run ${runId}`);
}

export function storedSettings<T>(text: string, runId: string): T {
  return storedJson<T>(RunSettingsSchema, text, `the settings of run ${runId}`);
}

export function storedCommand(text: string, runId: string): string[] {
  return storedJson<string[]>(strings, text, `the deploy command of run ${runId}`);
}

/** A sample's metrics: an object (its values anything an app reported), or the column is not read at all. */
export function storedMetrics(text: string, runId: string): Record<string, unknown> {
  // Checked, not copied: a run's samples are thousands of rows.
  return storedJson<Record<string, unknown>>(METRICS, text, `a sample of run ${runId}`);
}
