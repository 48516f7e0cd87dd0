/** The "current per-metric change" shown while POST sampling: the judge over the latest samples only, so it stays cheap. */
import { analyze } from '../core/analyze.js';
import { asColumns, type PhaseColumns, type PhaseSamples } from '../core/columns.js';
import { Scratch } from '../core/scratch.js';
import type { MetricResult, Rules } from '../core/types.js';

const RECENT = 20;
const RANK: Record<string, number> = { regression: 0, no_data: 1, warning: 2, no_baseline: 3, ok: 4, improvement: 5 };

export function liveView(preSamples: PhaseSamples, rules: Rules): (post: PhaseColumns) => MetricResult | undefined {
  const pre = asColumns(preSamples, rules);
  // Judged after every tick: the same work arrays serve every tick instead of new ones each time.
  const scratch = new Scratch();
  return (post) => {
    if (pre.length === 0 || post.length === 0) return undefined;
    const { metrics } = analyze({ pre, post: post.tail(RECENT), rules, scratch });
    return [...metrics].sort((a, b) => (RANK[a.status] ?? 9) - (RANK[b.status] ?? 9) || Math.abs(b.change_pct ?? 0) - Math.abs(a.change_pct ?? 0))[0];
  };
}
