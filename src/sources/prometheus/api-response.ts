/**
 * Decoding Prometheus HTTP API answers (`/api/v1/query`, `/api/v1/query_range`). Pure: body in,
 * numbers or reasons out. Decisions, documented in docs/sources.md:
 * - one number per metric: a scalar, or a vector/matrix of exactly one series. Several series are
 *   NOT summed (summing ratios or per-instance quantiles gives a wrong number silently): the
 *   metric is absent with a note telling to aggregate in PromQL (`sum(...)`, `max(...)`).
 * - an empty result is absent, with a note; `NaN` and `±Inf` are absent too, with a note (a 0/0
 *   error ratio at zero traffic is "no value", not a number to judge).
 * - `warnings` and `infos` (partial responses, e.g. a remote store that did not answer) become
 *   notes; they never fail the sample.
 */
import { shorten } from '../../output/terminal.js';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from '../json-depth.js';
import { parseSampleValue } from './exposition.js';
import { utf8Body } from '../../unicode.js';

/** Longest text kept from an answer (an error, a warning): a server may explain itself in megabytes, and each sample stores it. */
export const MAX_ANSWER_TEXT = 500;

/** Steps (samples) one `pre_range` may hold: Prometheus refuses a range query of more points per series. */
export const MAX_RANGE_STEPS = 11_000;
/** Warnings and infos kept from one answer; the rest are counted. */
const MAX_NOTES = 5;

export type ApiBody =
  | { status: 'success'; data: unknown; notes: string[] }
  | { status: 'error'; errorType: string; error: string; notes: string[] };

/**
 * The envelope of an API answer, or why it is not one. Its texts are masked by `scrub` (a token the
 * server echoes), then cut to MAX_ANSWER_TEXT; nesting that would overflow the stack of whatever
 * walks it (String() of an array) is refused before parsing.
 */
export function decodeApiBody(body: Buffer, scrub: (text: string) => string = (t) => t): ApiBody | string {
  if (jsonNestingExceeds(body)) return `nested deeper than ${MAX_JSON_DEPTH} levels`;
  const decoded = utf8Body(body);
  if (!('text' in decoded)) return decoded.reason;
  let doc: unknown;
  try {
    doc = JSON.parse(decoded.text);
  } catch {
    return body.length === 0 ? 'empty body' : 'not JSON (is the URL a Prometheus server?)';
  }
  if (!isObject(doc)) return 'expected a JSON object';
  const text = (v: unknown) => shorten(scrub(String(v)), MAX_ANSWER_TEXT);
  const told = [...strings(doc.warnings).map((w) => ['warning', w]), ...strings(doc.infos).map((i) => ['info', i])];
  const notes = told.slice(0, MAX_NOTES).map(([kind, t]) => `${kind}: ${text(t)}`);
  if (told.length > MAX_NOTES) notes.push(`${told.length - MAX_NOTES} more warnings and infos`);
  if (doc.status === 'success') return { status: 'success', data: doc.data, notes };
  if (doc.status === 'error') return { status: 'error', errorType: text(doc.errorType ?? 'unknown'), error: text(doc.error ?? 'no message'), notes };
  return 'no "status" field (is the URL a Prometheus server?)';
}

export interface InstantValue {
  value?: number;
  /** Why there is no value, or what is odd about it. */
  note?: string;
}

/** The one number of an instant query's `data`. */
export function instantValue(data: unknown): InstantValue {
  if (!isObject(data)) return { note: 'malformed answer (no data)' };
  if (data.resultType === 'scalar') return point(data.result);
  if (data.resultType !== 'vector') return { note: `returned a ${quoted(data.resultType)}, expected a scalar or a one-series vector` };
  const series = Array.isArray(data.result) ? data.result : [];
  if (series.length === 0) return { note: 'empty result' };
  if (series.length > 1) return { note: tooMany(series.length) };
  return point(isObject(series[0]) ? series[0].value : undefined);
}

export interface RangeValues {
  /** Epoch ms -> value, finite values only. */
  points: Map<number, number>;
  note?: string;
}

/** The one series of a range query's `data` (a matrix). */
export function rangeValues(data: unknown): RangeValues {
  const points = new Map<number, number>();
  if (!isObject(data) || data.resultType !== 'matrix') return { points, note: `returned a ${isObject(data) ? quoted(data.resultType) : 'malformed answer'}, expected a matrix` };
  const series = Array.isArray(data.result) ? data.result : [];
  if (series.length === 0) return { points, note: 'empty result' };
  if (series.length > 1) return { points, note: tooMany(series.length) };
  const values = isObject(series[0]) && Array.isArray(series[0].values) ? series[0].values : [];
  let invalid = 0;
  for (const raw of values) {
    const p = point(raw);
    if (p.value === undefined || !Array.isArray(raw)) invalid++;
    else points.set(Math.round(Number(raw[0]) * 1000), p.value);
  }
  return invalid > 0 ? { points, note: `${invalid} point(s) NaN or infinite, left out` } : { points };
}

function point(raw: unknown): InstantValue {
  if (!Array.isArray(raw) || raw.length !== 2 || typeof raw[1] !== 'string') return { note: 'malformed sample' };
  const value = parseSampleValue(raw[1]);
  if (value === undefined) return { note: `malformed value ${JSON.stringify(shorten(raw[1], MAX_ANSWER_TEXT))}` };
  if (!Number.isFinite(value)) return { note: `value is ${raw[1]} (no value)` };
  return { value };
}

function tooMany(n: number): string {
  return `returned ${n} series, expected one: aggregate in the query (sum(...), max(...) or avg(...))`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value from the answer, as a note may quote it. */
function quoted(v: unknown): string {
  return shorten(String(v), MAX_ANSWER_TEXT);
}

function strings(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
