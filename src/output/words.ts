/**
 * The words human outputs (terminal, Markdown, HTML) use for what the JSON names with codes. One
 * idea, one word: a metric that raises attention has status `warning` in the JSON (the SPEC §6
 * contract) and is shown as "attention", the verdict it leads to; hint severities keep their own
 * scale (critical, warning, info).
 */
import type { MetricStatus } from '../core/types.js';

const STATUS_LABEL: Record<MetricStatus, string> = {
  ok: 'ok',
  improvement: 'improvement',
  warning: 'attention',
  regression: 'regression',
  no_data: 'no data',
  no_baseline: 'no baseline',
};

/** A metric's status as people read it. */
export function statusLabel(status: MetricStatus | string): string {
  return lookup(STATUS_LABEL, status) ?? status.replace(/_/g, ' ');
}

/**
 * `table[key]` when the table itself holds the key: a word read from a stored verdict
 * (`constructor`, `toString`) never reaches Object.prototype's functions.
 */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
