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

/**
 * What a scalar column must hold. The schema says so, but SQLite keeps whatever a writer gives a
 * column ('high' in a REAL, 'yes' in an INTEGER), and Postgres takes NaN and Infinity as double
 * precision: such a value reached the renderers as it was (history crashed on a confidence that
 * was text, exit 70; `show --json` printed an http_status "two hundred"; a sample whose ok was
 * 'yes' counted as failed).
 */
type Column = 'text' | 'text?' | 'number' | 'number?' | 'integer' | 'integer?' | 'bit';

const COLUMN_CHECKS: Record<Column, { ok: (v: unknown) => boolean; expected: string }> = {
  text: { ok: (v) => typeof v === 'string', expected: 'text' },
  'text?': { ok: (v) => v === null || typeof v === 'string', expected: 'text or null' },
  number: { ok: Number.isFinite, expected: 'a finite number' },
  'number?': { ok: (v) => v === null || Number.isFinite(v), expected: 'a finite number or null' },
  integer: { ok: Number.isSafeInteger, expected: 'an integer' },
  'integer?': { ok: (v) => v === null || Number.isSafeInteger(v), expected: 'an integer or null' },
  bit: { ok: (v) => v === 0 || v === 1, expected: '0 or 1' },
};

export const RUN_COLUMNS = {
  id: 'text',
  project: 'text',
  env: 'text',
  status: 'text',
  result: 'text?',
  deploy_exit_code: 'integer?',
  deploy_signal: 'text?',
  created_at: 'text',
  updated_at: 'text',
  deployed_at: 'text?',
  finished_at: 'text?',
} as const satisfies Record<string, Column>;

export const SAMPLE_COLUMNS = {
  id: 'text',
  run_id: 'text',
  phase: 'text',
  seq: 'integer',
  endpoint: 'text',
  scheduled_at: 'text',
  taken_at: 'text',
  ok: 'bit',
  http_status: 'integer?',
  error: 'text?',
  attempts: 'integer',
  latency_ms: 'number?',
} as const satisfies Record<string, Column>;

/** The headline columns of a verdict that `history` reads beside its run. */
export const SUMMARY_COLUMNS = { verdict: 'text?', confidence: 'number?' } as const satisfies Record<string, Column>;

/** The row, once each of `columns` holds what it must (a StoreError naming `what` and the column otherwise). */
export function storedColumns<R extends object>(row: R, columns: Readonly<Record<string, Column>>, what: string): R {
  for (const name in columns) {
    const value = (row as Record<string, unknown>)[name];
    const check = COLUMN_CHECKS[columns[name]!];
    if (!check.ok(value)) throw malformed(what, `${name}: expected ${check.expected}, got ${shown(value)}`);
  }
  return row;
}

function shown(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint' || value === undefined) return String(value);
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
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
