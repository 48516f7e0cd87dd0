/**
 * The range of values a metric could take after the deploy without being a regression: from the
 * baseline to its threshold in the bad direction, widened to the rule's absolute floor (min_delta)
 * where that is larger. Drawn as the "allowed range" in the HTML charts and used to scale the
 * terminal sparklines, so noise inside it looks as small as it is.
 */
import type { MetricResult } from '../core/types.js';

export interface AllowedRange {
  from: number;
  to: number;
  /** The floor, not the threshold, sets the width (a small baseline). */
  byMinDelta: boolean;
}

export function allowedRange(m: Pick<MetricResult, 'baseline' | 'threshold_pct' | 'direction' | 'min_delta'>): AllowedRange | undefined {
  if (m.baseline === null || !Number.isFinite(m.baseline)) return undefined;
  const relative = Math.abs(m.baseline) * (m.threshold_pct / 100);
  const floor = m.min_delta ?? 0;
  const room = Math.max(relative, floor);
  const byMinDelta = floor > relative;
  if (m.direction === 'decrease') return { from: m.baseline - room, to: m.baseline, byMinDelta };
  if (m.direction === 'both') return { from: m.baseline - room, to: m.baseline + room, byMinDelta };
  return { from: m.baseline, to: m.baseline + room, byMinDelta };
}
