/**
 * The one shape every metrics object from outside takes (a `/ds-metrics` body, a scrape, a
 * Prometheus answer, SQL rows, a command's output, a sample file): an object with no prototype.
 * So `__proto__`, `constructor`, `prototype` are plain metric names, stored and judged like any
 * other (only by a rule of that name), never a way to reach or replace Object.prototype, and a
 * lookup by name finds nothing a body did not put there.
 */
import { wellFormed } from '../unicode.js';

/** An empty metrics object with no prototype. */
export function metricsRecord(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

/**
 * A copy of `value` as a metrics record: keys and string values well-formed Unicode (what can be
 * stored and printed), with `scrub` applied to them (secrets a server echoed).
 */
export function toMetricsRecord(value: object, scrub: (text: string) => string = (t) => t): Record<string, unknown> {
  const out = metricsRecord();
  for (const [key, v] of Object.entries(value)) out[scrub(wellFormed(key))] = typeof v === 'string' ? scrub(wellFormed(v)) : v;
  return out;
}
