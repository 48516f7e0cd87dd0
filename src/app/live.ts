/**
 * What the live view shows while POST sampling: the current per-metric change (the judge over the
 * latest settled samples only, so it stays cheap), and what the early decision is waiting for, so a
 * regression that does not end the window says why ("not yet decisive: p=0.01, needs 0.0002").
 */
import { analyze } from '../core/analyze.js';
import { asColumns, type PhaseColumns, type PhaseSamples } from '../core/columns.js';
import type { LookState } from '../core/early.js';
import { Scratch } from '../core/scratch.js';
import type { MetricResult, Rules } from '../core/types.js';
import { formatPct } from '../core/wording.js';
import { forDisplay, NAME_WIDTH } from '../output/terminal.js';
import { statusLabel } from '../output/words.js';

const RECENT = 20;
const RANK: Record<string, number> = { regression: 0, no_data: 1, warning: 2, no_baseline: 3, ok: 4, improvement: 5 };

/**
 * The most notable metric over the latest samples after the settle period (settle samples are not
 * judged, so never shown as a warning); `settling`: how many of the samples so far came from it.
 */
export function liveView(preSamples: PhaseSamples, rules: Rules): (post: PhaseColumns, settling: number) => MetricResult | undefined {
  const pre = asColumns(preSamples, rules);
  // Judged after every tick: the same work arrays serve every tick instead of new ones each time.
  const scratch = new Scratch();
  return (post, settling) => {
    if (pre.length === 0 || post.length <= settling) return undefined;
    const { metrics } = analyze({ pre, post: post.tail(Math.min(RECENT, post.length - settling)), rules, scratch, settle: 0 });
    return [...metrics].sort((a, b) => (RANK[a.status] ?? 9) - (RANK[b.status] ?? 9) || Math.abs(b.change_pct ?? 0) - Math.abs(a.change_pct ?? 0))[0];
  };
}

/** One line: the notable metric and, when the early decision has something to say, what it waits for. */
export function liveText(worst: MetricResult | undefined, state: LookState | undefined): string | undefined {
  if (state?.kind === 'settling') return `settling, ${state.done} of ${state.of}`;
  const waiting = state ? waitingFor(state) : undefined;
  const about = state?.kind === 'not_decisive' || state?.kind === 'alone' ? [state.metric] : state?.kind === 'holding' || state?.kind === 'decisive' ? state.metrics : [];
  const named = (text: string) => `${about.length > 0 ? `${about.join(', ')}: ` : ''}${text}`;
  if (!worst || worst.change_pct === null) return waiting && named(waiting);
  const metric = `${forDisplay(worst.name, NAME_WIDTH)} ${formatPct(worst.change_pct)}`;
  // A metric that raises attention reads "attention", as in the verdict (words.ts).
  const status = statusLabel(worst.status);
  // A healthy window reads as it is: nothing is waited for unless something moved.
  const moved = worst.status === 'regression' || worst.status === 'warning';
  if (!waiting || (!moved && state?.kind === 'waiting')) return `${metric} (${status})`;
  if (state?.kind !== 'endpoint' && (about.length === 0 || about.includes(worst.name))) return `${metric} (${status}, ${waiting})`;
  return `${metric} (${status}) · ${named(waiting)}`;
}

function waitingFor(state: LookState): string | undefined {
  switch (state.kind) {
    case 'not_decisive':
      return `not yet decisive: p=${state.p === null ? 'untestable' : sig(state.p)}, needs ${sig(state.needs)}`;
    case 'alone':
      return 'not decisive alone: a second metric regressing with it (or a critical one) would end the window';
    case 'holding':
      return state.alone
        ? `not yet decisive: held ${state.held} of ${state.needs} samples (alone; a second metric moving with it would decide sooner)`
        : `not yet decisive: held ${state.held} of ${state.needs} samples`;
    case 'endpoint':
      // Past the count, the test against its failures before the deploy is what is still missing.
      return state.failed >= state.needs
        ? `${state.endpoint} failing, not yet decisive: ${state.failed} failed requests (${state.needs} make a finding), not yet more than its failures before the deploy explain`
        : `${state.endpoint} failing, not yet decisive: ${state.failed} of ${state.needs} failed requests`;
    case 'decisive':
      return 'decisive: ending the window';
    case 'waiting':
      return `the early decision looks from POST sample ${state.first}`;
    default:
      return undefined;
  }
}

function sig(x: number): string {
  return x !== 0 && Math.abs(x) < 1e-6 ? x.toExponential(1) : String(Number(x.toPrecision(2)));
}
