/**
 * The one shape every metrics object from outside takes (a `/ds-metrics` body, a scrape, a
 * Prometheus answer, SQL rows, a command's output, a sample file): an object with no prototype.
 * So `__proto__`, `constructor`, `prototype` are plain metric names, stored and judged like any
 * other (only by a rule of that name), never a way to reach or replace Object.prototype, and a
 * lookup by name finds nothing a body did not put there.
 */
import { wellFormed } from '../unicode.js';
import { MAX_JSON_DEPTH } from './json-depth.js';

/** An empty metrics object with no prototype. */
export function metricsRecord(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

/**
 * A copy of `value` as a metrics record: keys and string values well-formed Unicode (what can be
 * stored and printed), with `scrub` applied to them (secrets a server echoed; not to the top-level
 * names in `keep`), at every level: a
 * value may be an object or an array (`{"nested": {"auth": "Basic ..."}}`), and what is stored and
 * shown of it is scrubbed like a flat field. Nested objects have no prototype either.
 */
export function toMetricsRecord(value: object, scrub: (text: string) => string = (t) => t, keep: ReadonlySet<string> = new Set()): Record<string, unknown> {
  return copy(value, scrub, 0, keep) as Record<string, unknown>;
}

/** `keep`: top-level names left as they are (the metrics the rules name). */
function copy(value: unknown, scrub: (text: string) => string, depth: number, keep?: ReadonlySet<string>): unknown {
  if (typeof value === 'string') return scrub(wellFormed(value));
  if (typeof value !== 'object' || value === null) return value;
  // Deeper than any body is accepted (json-depth.ts): nothing of it is kept.
  if (depth > MAX_JSON_DEPTH) return null;
  if (Array.isArray(value)) return value.map((v) => copy(v, scrub, depth + 1));
  const out = metricsRecord();
  for (const [key, v] of Object.entries(value)) {
    const name = wellFormed(key);
    out[keep?.has(name) ? name : scrub(name)] = copy(v, scrub, depth + 1);
  }
  return out;
}
