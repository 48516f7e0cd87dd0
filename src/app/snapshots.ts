/** Raw stored samples -> one aggregated snapshot per tick and phase, the analysis input. */
import { aggregateTick } from '../core/aggregate.js';
import type { MetricSnapshot, Phase, Rules } from '../core/types.js';
import type { StoredSample } from '../store/types.js';

export interface PhaseSnapshots {
  pre: MetricSnapshot[];
  post: MetricSnapshot[];
  /** Ticks where no endpoint answered. */
  failed: { pre: number; post: number };
}

export function snapshotsFromSamples(samples: readonly StoredSample[], rules: Rules): PhaseSnapshots {
  const ticks = new Map<string, StoredSample[]>();
  for (const s of samples) {
    const key = `${s.phase}:${s.seq}`;
    const list = ticks.get(key);
    if (list) list.push(s);
    else ticks.set(key, [s]);
  }
  const out: PhaseSnapshots = { pre: [], post: [], failed: { pre: 0, post: 0 } };
  const ordered = [...ticks.values()].sort((a, b) => a[0]!.seq - b[0]!.seq);
  for (const tick of ordered) {
    const phase: Phase = tick[0]!.phase;
    const snapshot = aggregateTick(tick, rules, tick[0]!.scheduled_at);
    if (snapshot) out[phase].push(snapshot);
    else out.failed[phase]++;
  }
  return out;
}
