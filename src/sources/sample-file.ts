/**
 * Sample files for `analyze --pre/--post` (SPEC §5): one sample `{"metrics": {...}}`, a JSON array
 * of samples, or JSON Lines. Errors name the file, the line or item, and what was wrong.
 */
import type { MetricSnapshot } from '../core/types.js';
import { isoTimestamp } from '../config/duration.js';
import { UsageError } from '../errors.js';
import { FileTooLargeError, readBytesCapped, streamBytesCapped } from '../files.js';
import { utf8Text, withoutBom } from '../unicode.js';
import { toMetricsRecord } from './metrics-record.js';

/**
 * The most a sample file may hold. Days of samples at a 10 s interval are a few tens of MiB; past
 * this it is not a sample file (`/dev/zero`, a log, a dump), and reading it whole would take the
 * memory of the machine before JSON.parse even started.
 */
export const MAX_SAMPLE_FILE_BYTES = 64 * 1024 * 1024;

/**
 * The most samples a sample file may hold: two days at 1 s, three weeks at 10 s. Tiny samples
 * (`{"metrics":{"e":1}}`, 20 bytes) fit millions into the byte cap, and each costs the memory of
 * its objects many times over (58 MB of them took 2.4 GB); a window that long is judged from the
 * store (`seqpulse analyze <id>`), not from a file.
 */
export const MAX_FILE_SAMPLES = 200_000;

const TOO_MANY = `Judge a shorter window: a sample file holds at most ${MAX_FILE_SAMPLES.toLocaleString('en-US')} samples.`;

/** `-`: standard input (a pipe from a query or another tool), named "stdin" in errors. */
export async function readSampleFile(path: string, stdin: AsyncIterable<Buffer | string> = process.stdin): Promise<MetricSnapshot[]> {
  let bytes: Buffer;
  try {
    bytes = path === '-' ? await streamBytesCapped(stdin, MAX_SAMPLE_FILE_BYTES) : await readBytesCapped(path, MAX_SAMPLE_FILE_BYTES);
  } catch (err) {
    if (err instanceof FileTooLargeError) {
      throw new UsageError(`${shown(path)}: ${err.message}: not a sample file`, 'Give a JSON or JSON Lines file with the samples of one phase: {"metrics": {...}} per sample.');
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new UsageError(`${path}: is a directory, not a sample file`, 'Give the path of a JSON or JSON Lines file.');
    if (code === 'ENOENT') throw new UsageError(`${shown(path)}: file not found`, `Check the path (relative to ${process.cwd()}).`);
    throw new UsageError(`${shown(path)}: cannot be read (${code ?? String(err)})`, 'Check that the file exists and is readable by this user.');
  }
  // Not UTF-8 (a Latin-1 `café`): decoded, the byte would become U+FFFD, a metric's name or text value silently another one.
  const decoded = utf8Text(bytes);
  if (!('text' in decoded)) {
    throw new UsageError(`${shown(path)}${decoded.line === undefined ? '' : `:${decoded.line}`}: ${decoded.reason}`, 'Save the sample file as UTF-8 (JSON is UTF-8 text): your tool\'s encoding setting, or `iconv -f latin1 -t utf-8`.');
  }
  return parseSampleText(shown(path), decoded.text);
}

const shown = (path: string) => (path === '-' ? 'stdin' : path);

const FORMS = 'Write one sample {"metrics": {...}}, a JSON array of samples, or one sample per line.';

export function parseSampleText(path: string, file: string): MetricSnapshot[] {
  // A byte order mark (editors on Windows write one) is not part of the first sample, in JSON Lines either.
  const text = withoutBom(file);
  const trimmed = text.trim();
  if (trimmed === '') throw new UsageError(`${path}: the file is empty`, FORMS);
  let whole: unknown;
  let wholeError: string | undefined;
  try {
    whole = JSON.parse(trimmed);
  } catch (err) {
    wholeError = jsonProblem(err, text, text.length - text.trimStart().length);
  }
  if (wholeError === undefined) {
    if (Array.isArray(whole) && whole.length > MAX_FILE_SAMPLES) throw new UsageError(`${path}: ${whole.length.toLocaleString('en-US')} samples`, TOO_MANY);
    if (Array.isArray(whole)) return whole.map((item, i) => toSnapshot(item, `${path}: item ${i}`));
    return [toSnapshot(whole, path)];
  }
  // Not one JSON document: JSON Lines, judged line by line so the error names the line.
  const lines = text.split(/\r?\n/);
  const samples = lines.filter((l) => l.trim() !== '').length;
  if (samples < 2) throw new UsageError(`${path}: not valid JSON (${wholeError})`, FORMS);
  if (samples > MAX_FILE_SAMPLES) throw new UsageError(`${path}: ${samples.toLocaleString('en-US')} lines, one sample each`, TOO_MANY);
  const out: MetricSnapshot[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new UsageError(`${path}:${i + 1}: not valid JSON (${jsonProblem(err, line)})`, `Fix or remove that line; in JSON Lines each line is one whole sample {"metrics": {...}}.`);
    }
    out.push(toSnapshot(value, `${path}:${i + 1}`));
  });
  return out;
}

/**
 * What JSON.parse found wrong and where, without V8's quote of the text around it: the file may
 * hold a secret (a mistaken `--pre .env`), and the quote is the text's, not ours to print.
 * `offset`: where the parsed text starts in `text`.
 */
function jsonProblem(err: unknown, text: string, offset = 0): string {
  const message = err instanceof Error ? err.message : String(err);
  // "Unexpected token 'Z', ...": the token is the text's first character there.
  // '"NaN" is not valid JSON': nothing but the quote.
  const what = message.startsWith('Unexpected token') ? 'unexpected token' : message.split(/ in JSON at| at position|,? ?"/)[0] || 'not a JSON value';
  const at = /at position (\d+)/.exec(message);
  if (!at) return what;
  const before = text.slice(0, offset + Number(at[1])).split(/\r?\n/);
  return `${what} at line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

function toSnapshot(value: unknown, where: string): MetricSnapshot {
  const hint = 'Each sample is {"metrics": {"<name>": <number>, ...}}, optionally with "timestamp".';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${where}: a sample must be a JSON object`, hint);
  const { metrics, timestamp } = value as { metrics?: unknown; timestamp?: unknown };
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) throw new UsageError(`${where}: "metrics" must be an object`, hint);
  const stamp = typeof timestamp === 'string' ? isoTimestamp(timestamp) : undefined;
  if (timestamp !== undefined && stamp === undefined) {
    throw new UsageError(`${where}: "timestamp" must be an ISO 8601 date string (e.g. 2026-01-18T12:15:00Z or 20260118T121500Z)`, hint);
  }
  const record = toMetricsRecord(metrics);
  return stamp === undefined ? { metrics: record } : { timestamp: stamp, metrics: record };
}

/** The time between samples, from their timestamps (median gap), when the file has them. */
export function intervalOf(snapshots: readonly MetricSnapshot[]): number | undefined {
  const times = timesOf(snapshots);
  const gaps = times
    .slice(1)
    .map((t, i) => t - times[i]!)
    .filter((g) => g > 0)
    .sort((a, b) => a - b);
  return gaps.length > 0 ? gaps[gaps.length >> 1] : undefined;
}

/**
 * PRE and POST files whose times overlap or run backwards (the last PRE sample after the first
 * POST one): a warning that says so, as the files were most likely swapped or cut from the wrong
 * places. Undefined when they are in order or either file has no times.
 */
export function phaseOrderWarning(pre: readonly MetricSnapshot[], post: readonly MetricSnapshot[], names: { pre: string; post: string }): string | undefined {
  const before = timesOf(pre);
  const after = timesOf(post);
  if (before.length === 0 || after.length === 0) return undefined;
  const lastPre = before.reduce((a, b) => Math.max(a, b));
  const firstPost = after.reduce((a, b) => Math.min(a, b));
  if (lastPre <= firstPost) return undefined;
  return `the PRE samples (${names.pre}) end at ${new Date(lastPre).toISOString()}, after the POST samples (${names.post}) begin at ${new Date(firstPost).toISOString()}: were --pre and --post swapped, or cut from the wrong places? Judged as given.`;
}

/** The samples' times that are given, in epoch ms, in file order. */
function timesOf(snapshots: readonly MetricSnapshot[]): number[] {
  return snapshots.map((s) => (s.timestamp ? Date.parse(s.timestamp) : Number.NaN)).filter(Number.isFinite);
}
