/** Raw stored samples -> one aggregated snapshot per tick and phase, the analysis input. */
import { aggregateTick } from '../core/aggregate.js';
import { emptyColumns, PhaseColumns, type PhaseSamples } from '../core/columns.js';
import { EndpointTally, type EndpointAvailability } from '../core/outage.js';
import type { MetricSnapshot, Phase, Rules } from '../core/types.js';
import type { SampleKey, Store, StoredSample } from '../store/types.js';

export interface PhaseSnapshots {
  pre: MetricSnapshot[];
  post: MetricSnapshot[];
  /** Ticks where no endpoint answered. */
  failed: { pre: number; post: number };
}

/** What a verdict is built from: each phase's ticks, as snapshots or columns. */
export interface Phases {
  pre: PhaseSamples;
  post: PhaseSamples;
  /** Ticks where no endpoint answered. */
  failed: { pre: number; post: number };
  /** Each endpoint's answered and failed requests, per phase (POST split at the settle period). */
  endpoints?: EndpointAvailability[];
  /** POST ticks whose signed request was rejected (401/403). */
  rejected?: number;
  /**
   * POST samples that came from the settle period's ticks (the first ones; the judge sets them
   * aside). A tick of the settle period that got no data uses it up too: the settle period is time
   * since the deploy. Unknown (every settle tick taken to have had data) when not counted.
   */
  settling?: number;
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

/** Samples per page read from the store. */
const PAGE = 1000;

/** A run's samples page by page, in (phase, seq, endpoint) order. */
export async function* samplePages(store: Pick<Store, 'samplesAfter'>, runId: string, size = PAGE): AsyncGenerator<StoredSample[]> {
  let after: SampleKey | undefined;
  for (;;) {
    const page = await store.samplesAfter(runId, after, size);
    if (page.length > 0) yield page;
    if (page.length < size) return;
    after = page[page.length - 1];
  }
}

/** One tick of a phase: its aggregated snapshot, or null when no endpoint answered. */
export interface Tick {
  phase: Phase;
  snapshot: MetricSnapshot | null;
  /** The tick's raw samples, one per endpoint. */
  samples: readonly StoredSample[];
}

/**
 * Ticks from pages of samples in (phase, seq, endpoint) order (`samplePages`: a tick's samples are
 * next to each other, possibly across two pages), aggregated one at a time: a long window's
 * verdict and series never hold all its samples and their parsed metrics at once.
 */
export async function* ticksFrom(pages: AsyncIterable<readonly StoredSample[]>, rules: Rules): AsyncGenerator<Tick> {
  let tick: StoredSample[] = [];
  const close = (): Tick => {
    const done = { phase: tick[0]!.phase, snapshot: aggregateTick(tick, rules, tick[0]!.scheduled_at), samples: tick };
    tick = [];
    return done;
  };
  for await (const page of pages) {
    for (const sample of page) {
      if (tick.length > 0 && (sample.phase !== tick[0]!.phase || sample.seq !== tick[0]!.seq)) yield close();
      tick.push(sample);
    }
  }
  if (tick.length > 0) yield close();
}

/**
 * A run's ticks straight into columns, as the judge reads them (no conversion from snapshots), with
 * every request's outcome per endpoint (`settle`: the POST ticks of the settle period).
 */
export async function columnsFromTicks(ticks: AsyncIterable<Tick>, rules: Rules, settle = 0): Promise<Phases & { pre: PhaseColumns; post: PhaseColumns; endpoints: EndpointAvailability[] }> {
  const out = { pre: emptyColumns(rules), post: emptyColumns(rules), failed: { pre: 0, post: 0 }, settling: 0 };
  const tally = new EndpointTally(settle);
  for await (const { phase, snapshot, samples } of ticks) {
    if (snapshot) out[phase].append(snapshot);
    else out.failed[phase]++;
    if (snapshot && phase === 'post' && samples[0]!.seq < settle) out.settling++;
    for (const s of samples) tally.add(phase, s.seq, s);
  }
  return { ...out, endpoints: tally.list(), rejected: tally.rejected };
}

/** A run's stored samples as the judge takes them: page by page, tick by tick, into columns. */
export function storedPhases(store: Pick<Store, 'samplesAfter'>, runId: string, rules: Rules, settle = 0) {
  return columnsFromTicks(ticksFrom(samplePages(store, runId), rules), rules, settle);
}
