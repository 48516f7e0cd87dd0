/**
 * A parser for what a `/metrics` page serves: the Prometheus text exposition format 0.0.4 and
 * OpenMetrics 1.0. Hand-written because the one npm parser (parse-prometheus-text-format) reads
 * neither OpenMetrics nor exemplars and ships no types. Pure: text in, samples out.
 *
 * Kept: every sample (name, labels, value, timestamp) and each family's `# TYPE`. Read and
 * dropped: `# HELP`, `# UNIT`, other comments, exemplars. A malformed line fails the whole page,
 * as it does for Prometheus itself: half a scrape would make rates silently wrong.
 */
import { shorten } from '../../output/terminal.js';

/** A parse failure's reason at most this long. */
const MAX_REASON = 300;

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped' | 'unknown' | 'info' | 'stateset' | 'gaugehistogram';
const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped', 'unknown', 'info', 'stateset', 'gaugehistogram']);

export interface Sample {
  /** The sample's own name (`http_requests_total`, `latency_seconds_bucket`), not the family's. */
  name: string;
  labels: Record<string, string>;
  /** May be NaN or ±Infinity, as exposed. */
  value: number;
  /** Epoch ms, when the page gives one (rare; not used for rates). */
  timestampMs?: number;
}

export interface Exposition {
  samples: Sample[];
  /** Family name -> declared type (`# TYPE`). */
  types: Map<string, MetricType>;
}

export class ExpositionError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'ExpositionError';
  }
}

/**
 * @param openMetrics timestamps are seconds in OpenMetrics, ms in the text format (from the response's Content-Type).
 * @param keep which samples, by name, are kept: every line is still read (a malformed one fails the
 *   page), but a page of a million series held whole, twice per target (the last page is kept for
 *   rates), was gigabytes of memory for the few series the queries read.
 */
export function parseExposition(text: string, openMetrics = false, keep: (name: string) => boolean = () => true): Exposition {
  const out: Exposition = { samples: [], types: new Map() };
  const seen = new Set<string>();
  const lines = text.split('\n');
  let eof = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (eof) {
      if (line.trim() !== '') throw new ExpositionError(i + 1, 'content after "# EOF"');
      continue;
    }
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      eof = readComment(line, i + 1, out);
      continue;
    }
    const sample = new SampleLine(line, i + 1).read(openMetrics);
    if (!keep(sample.name)) continue;
    // A histogram bucket (unless the page declares that name as a family of its own) must have a bound.
    const le = sample.name.endsWith('_bucket') && !out.types.has(sample.name) ? sample.labels.le : undefined;
    if (le !== undefined && bucketBound(le) === undefined) {
      throw new ExpositionError(i + 1, shorten(`invalid le ${JSON.stringify(le)} for ${sample.name} (a bucket's upper bound is a number or +Inf)`, MAX_REASON));
    }
    // A series twice in one page (two registries exporting the same metric, a bad merge): the first
    // counts, as Prometheus keeps it; both had been summed, a rate read as twice the traffic.
    const key = `${sample.name.length}:${sample.name}${seriesKey(sample)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.samples.push(sample);
  }
  return out;
}

/**
 * The series' identity: its labels in name order, each name and value length-prefixed (no value can
 * pass for a separator). Built for every matching series of both scrapes, so kept cheap: a
 * JSON.stringify of sorted entries took seconds on a page of 200,000 series.
 */
export function seriesKey(s: Sample): string {
  let key = '';
  for (const name of Object.keys(s.labels).sort()) {
    const value = s.labels[name]!;
    key += `${name.length}:${name}${value.length}:${value}`;
  }
  return key;
}

/**
 * A histogram bucket's upper bound, its `le` label parsed as a sample value is (`+Inf`, `1.0`,
 * `1e3`), or undefined when that is not a number. Number() read `le="0x10"` as 16, `le=""` as 0
 * and `le="1e"` as NaN: a quantile off by orders of magnitude, or silently none. Prometheus does
 * not use such a bucket either ("bad bucket label"). NaN is no bound.
 */
export function bucketBound(le: string): number | undefined {
  const bound = parseSampleValue(le);
  return bound === undefined || Number.isNaN(bound) ? undefined : bound;
}

/** Returns true on `# EOF`. */
function readComment(line: string, lineNo: number, out: Exposition): boolean {
  const words = line.slice(1).trim().split(/[ \t]+/);
  const keyword = words[0];
  if (keyword === 'EOF' && words.length === 1) return true;
  if (keyword === 'TYPE') {
    const [, name, type] = words;
    if (!name || !type || !TYPES.has(type)) throw new ExpositionError(lineNo, `malformed # TYPE line (expected "# TYPE <name> <type>")`);
    // A page that says a family is two things (a counter read as a rate, then a gauge) says neither:
    // the last one won, silently. Prometheus refuses such a page too.
    const first = out.types.get(name);
    if (first !== undefined && first !== type) throw new ExpositionError(lineNo, `# TYPE ${name} ${type} after # TYPE ${name} ${first}: one family, two types`);
    out.types.set(name, type as MetricType);
  }
  // HELP, UNIT and free comments carry nothing a derived metric needs.
  return false;
}

/** Sticky: matched where the reader stands, not searched for (a page of 16 MiB is read name by name). */
const METRIC_NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
/** What a label value holds up to its closing quote or its next escape. */
const PLAIN_RUN = /[^"\\]*/y;
/** Unambiguous (a digit run is split in one way only), so a long run of digits that fails to match fails in linear time, not quadratic. */
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a sample value the way Prometheus does, including `+Inf`, `-Inf` and `NaN` in any case. */
export function parseSampleValue(token: string): number | undefined {
  const lower = token.toLowerCase();
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (lower === 'nan') return NaN;
  return FLOAT.test(token) ? Number(token) : undefined;
}

/** A cursor over one sample line: `name{label="value",...} value [timestamp] [# exemplar]`. */
class SampleLine {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly lineNo: number,
  ) {}

  read(openMetrics: boolean): Sample {
    const name = this.name(METRIC_NAME, 'a metric name');
    let gap = this.spaces();
    let labels = Object.create(null) as Record<string, string>;
    if (this.peek() === '{') {
      labels = this.labels();
      gap = this.spaces();
    }
    if (gap === 0 || this.pos >= this.text.length) this.fail(`expected a space and a value after ${name}`);
    const valueToken = this.token();
    const value = parseSampleValue(valueToken);
    if (value === undefined) this.fail(`invalid value "${valueToken}" for ${name}`);
    const sample: Sample = { name, labels, value: value as number };
    this.spaces();
    if (this.pos < this.text.length && this.peek() !== '#') {
      const tsToken = this.token();
      const ts = Number(tsToken);
      if (!FLOAT.test(tsToken) || !Number.isFinite(ts)) this.fail(`invalid timestamp "${tsToken}" for ${name}`);
      sample.timestampMs = openMetrics ? ts * 1000 : ts;
      this.spaces();
    }
    // An OpenMetrics exemplar (` # {trace_id="..."} 1.0`) may follow; it describes one request, not the series.
    if (this.pos < this.text.length && this.peek() !== '#') this.fail(`unexpected "${this.text.slice(this.pos, this.pos + 20)}" after the value of ${name}`);
    return sample;
  }

  private labels(): Record<string, string> {
    // No prototype: a matcher on `constructor` or `__proto__` finds only a label the page has.
    const labels = Object.create(null) as Record<string, string>;
    this.pos++; // {
    for (;;) {
      this.spaces();
      if (this.peek() === '}') break;
      const label = this.name(LABEL_NAME, 'a label name');
      // Which of the two would count is a guess, and either way the series passes for another one
      // (`{status="500",status="200"}` read as the 200s): Prometheus refuses the sample too.
      if (label in labels) this.fail(`label ${label} twice in one series`);
      this.spaces();
      this.expect('=');
      this.spaces();
      labels[label] = this.quoted();
      this.spaces();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      if (this.peek() !== '}') this.fail(`expected "," or "}" after label ${label}`);
      break;
    }
    this.pos++; // }
    return labels;
  }

  private quoted(): string {
    if (this.peek() !== '"') this.fail(`expected a double-quoted label value at column ${this.pos + 1}`);
    this.pos++;
    let value = '';
    for (;;) {
      // A whole run up to the next quote or backslash at once: most values have no escape at all.
      PLAIN_RUN.lastIndex = this.pos;
      const run = PLAIN_RUN.exec(this.text)![0];
      value += run;
      this.pos += run.length;
      const c = this.text[this.pos++];
      if (c === undefined) this.fail('unterminated label value');
      if (c === '"') return value;
      const e = this.text[this.pos++];
      if (e === 'n') value += '\n';
      else if (e === '\\' || e === '"') value += e;
      else this.fail(`invalid escape "\\${e ?? ''}" in a label value (only \\\\, \\" and \\n)`);
    }
  }

  private name(pattern: RegExp, what: string): string {
    pattern.lastIndex = this.pos;
    const match = pattern.exec(this.text);
    if (!match) this.fail(`expected ${what} at column ${this.pos + 1}`);
    this.pos += match[0].length;
    return match[0];
  }

  private token(): string {
    const from = this.pos;
    while (this.pos < this.text.length && this.peek() !== ' ' && this.peek() !== '\t') this.pos++;
    return this.text.slice(from, this.pos);
  }

  private spaces(): number {
    const from = this.pos;
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
    return this.pos - from;
  }

  private expect(c: string): void {
    if (this.peek() !== c) this.fail(`expected "${c}" at column ${this.pos + 1}`);
    this.pos++;
  }

  private peek(): string {
    return this.text[this.pos] ?? '';
  }

  private fail(reason: string): never {
    // The reason quotes what the page holds (a name, a value, a timestamp): a 15 MB token was
    // repeated in every log line of every tick.
    throw new ExpositionError(this.lineNo, shorten(reason, MAX_REASON));
  }
}
