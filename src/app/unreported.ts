/**
 * Rules whose metric the app never reported. The judge leaves such a metric out of the verdict
 * altogether (src/core/analyze.ts judges only metrics seen in PRE or POST): the verdict can still
 * be ok, so a misspelt rule (`latency_p59`) silently judges nothing. `doctor` lists them, `run`
 * warns once after PRE, each with "did you mean" for a reported or known name close to it.
 */
import { isDeepStrictEqual } from 'node:util';
import { metricNames } from '../core/columns.js';
import { DEFAULT_RULES } from '../core/rules.js';
import type { Rules } from '../core/types.js';
import { closestNames } from '../suggest.js';

export interface UnreportedRule {
  metric: string;
  /**
   * The config file names this rule with settings of its own: the user expects the metric. A rule
   * written out exactly as the default (`init` lists every one) is the default rule, and not this.
   */
  configured: boolean;
  /** Reported or known names close to it: a likely typo on one side. */
  suggestions: string[];
}

/** `reported`: every metric name the samples carried. A rule for labelled rows (`orders.<label>`) counts as reported by any `orders.x`. */
export function unreportedRules(rules: Rules, reported: Iterable<string>, configured: readonly string[]): UnreportedRule[] {
  const seen = new Set(reported);
  const names = Object.keys(rules);
  const read = metricNames(rules);
  const isReported = (metric: string) => seen.has(metric) || [...seen].some((s) => s.startsWith(`${metric}.`));
  // A name nobody knows (latency_p59) may be a typo of any name that is there or known, even one
  // its own rule already judges (the user's settings then go to the wrong name).
  const anyName = [...seen, ...Object.keys(DEFAULT_RULES)].filter((n) => !names.includes(n) || isReported(n));
  // A known metric's name stands on its own (latency_p99 is no typo of a judged latency_p95): only a
  // reported name nothing reads is worth suggesting, the app's side of a typo (error_rates).
  const unread = [...seen].filter((n) => !read.has(n));
  return names
    .filter((metric) => !isReported(metric))
    .map((metric) => {
      const known = Object.hasOwn(DEFAULT_RULES, metric);
      const ownSettings = configured.includes(metric) && !(known && isDeepStrictEqual(rules[metric], DEFAULT_RULES[metric]));
      return { metric, configured: ownSettings, suggestions: closestNames(metric, known ? unread : anyName) };
    });
}

/** The ones worth a warning on every run: named in the config, or close to a name that is there. */
export function suspicious(unreported: readonly UnreportedRule[]): UnreportedRule[] {
  return unreported.filter((u) => u.configured || u.suggestions.length > 0);
}

/** `latency_p59 (did you mean latency_p95?)` */
export function describeUnreported(u: UnreportedRule): string {
  return `${u.metric}${u.suggestions.length > 0 ? ` (did you mean ${u.suggestions.join(' or ')}?)` : ''}`;
}

/** What a never-reported rule does to a verdict, in one sentence: the fix text of doctor and the warning of run. */
export const UNREPORTED_MEANS =
  'A metric that is never reported is not judged at all: the verdict is made without it and can still be ok. Check the name on both sides (the app and metrics: in seqpulse.yml), or turn the rule off (metrics.<name>.enabled: false). A metric reported before the deploy and missing after it is different: attention (on_no_data).';

/**
 * `run` and `start`, once PRE is in: the suspicious rules the PRE samples never reported, as one
 * warning; undefined when there is none, or no PRE sample answered (nothing to tell from).
 */
export function unreportedAfterPre(rules: Rules, configured: readonly string[], samples: readonly { ok: boolean; metrics: Record<string, unknown> | null }[]): string | undefined {
  const answered = samples.filter((s) => s.ok && s.metrics);
  if (answered.length === 0) return undefined;
  const found = suspicious(unreportedRules(rules, answered.flatMap((s) => Object.keys(s.metrics!)), configured));
  if (found.length === 0) return undefined;
  return `No PRE sample reported ${found.map(describeUnreported).join(', ')}: ${found.length === 1 ? 'its rule judges' : 'their rules judge'} nothing in this run. ${UNREPORTED_MEANS}`;
}
