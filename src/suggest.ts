/**
 * "Did you mean ...?": the names closest to a misspelt one (a config key, a metric a rule names, an
 * Action input), by edit distance. Case, `-` and `_` do not count: `pre-samples` is `pre_samples`.
 */
import { distance } from 'fastest-levenshtein';
import { minOf } from './core/stats/basic.js';

/**
 * The closest candidates (those at the best distance or one more, at most `max`, closest first),
 * when within a third of the name's length in edits (at least one). One more: a swapped pair of
 * characters is two edits (`latency_p59` is 2 from `latency_p95`, 1 from `latency_p99`).
 */
export function closestNames(name: string, candidates: Iterable<string>, max = 2): string[] {
  const wanted = normal(name);
  const limit = Math.max(1, Math.floor(wanted.length / 3));
  const scored: { candidate: string; d: number }[] = [];
  for (const candidate of new Set(candidates)) {
    if (candidate === name) continue;
    const d = distance(wanted, normal(candidate));
    if (d <= limit) scored.push({ candidate, d });
  }
  // The candidates may be every name an app reported: no spread (minOf).
  const best = minOf(scored.map((s) => s.d));
  return scored
    .filter((s) => s.d <= best + 1)
    .sort((a, b) => a.d - b.d || a.candidate.localeCompare(b.candidate))
    .slice(0, max)
    .map((s) => s.candidate);
}

/** ` (did you mean latency_p95?)`, or nothing when no name is close. */
export function didYouMean(name: string, candidates: Iterable<string>, quote: (s: string) => string = (s) => s): string {
  const close = closestNames(name, candidates);
  return close.length === 0 ? '' : ` (did you mean ${close.map(quote).join(' or ')}?)`;
}

function normal(name: string): string {
  return name.toLowerCase().replace(/-/g, '_');
}
