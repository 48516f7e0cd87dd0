/**
 * An endpoint that answered before the deploy and fails after it is itself a finding (SPEC §4): the
 * new version broke what it serves, whatever the metrics that still arrive say. Counted per
 * endpoint (one instance of three that stopped answering is a broken instance, even though every
 * tick still has data from the other two), from the raw request outcomes, never from the metrics.
 *
 * Sustained means both:
 * - the endpoint failed at least FAILURE_SHARE (half) of the POST requests the window plans after
 *   its settle period (at least MIN_FAILURES): a majority of the settled window, so an outage that
 *   recovers sooner (a restart, a failover) is never one;
 * - the failures are more than the endpoint's own flakiness before the deploy: Fisher's exact test
 *   of its POST failures against its PRE failures, one-sided, Holm-corrected across the endpoints,
 *   at the verdict's level. An endpoint that already failed half its PRE requests is flaky, not broken.
 *
 * An endpoint that meets the share without passing the test (too few requests to rule out chance)
 * is never ok: attention. One that failed more after the deploy than before, under the share, is
 * said in the details. None goes unsaid (`judgeEndpoints`).
 *
 * The early decision (`outageDecisive`) stops the window only once this finding can no longer be
 * undone by the rest of the window: the failures already reach the share, and the test passes even
 * if every remaining request is answered. It therefore never stops a window the full window would
 * not have judged the same way. Pure.
 */
import { holmAdjusted } from './stats/holm.js';
import { hypergeometricUpperTail } from './stats/binomial.js';
import { roundSig } from './stats/basic.js';
import type { Phase } from './types.js';

/** Share of the planned POST requests after the settle period an endpoint must fail. */
export const FAILURE_SHARE = 0.5;
/** Fewest failed requests that can make the finding, whatever the window. */
export const MIN_FAILURES = 3;
/** Where a signature rejected after the deploy is recorded (the whole tick): not an endpoint's failure. */
export const ALL_ENDPOINTS = '*';

export type OnEndpointFailure = 'rollback' | 'attention' | 'no_verdict';

interface Outcomes {
  answered: number;
  failed: number;
}

/** One endpoint's requests, as the judge counts them. */
export interface EndpointAvailability {
  endpoint: string;
  pre: Outcomes;
  /** POST requests of the settle period (restarts, warm-up): shown, not counted against the endpoint. */
  settling: Outcomes;
  /** POST requests after the settle period. */
  post: Outcomes;
  /** Why POST requests failed (settle period included): short reason -> count. */
  errors: Record<string, number>;
}

/** What the analysis needs to judge the endpoints. */
export interface EndpointsInput {
  list: readonly EndpointAvailability[];
  /** POST ticks the window plans (as planned, even when it was cut short). */
  planned: number;
  /** POST ticks set aside as the settle period. */
  settle: number;
  /** What a failing endpoint means for the verdict (default rollback). */
  action?: OnEndpointFailure;
  /** POST ticks whose signed request was rejected (401/403): a configuration problem, said, never an outage. */
  rejected?: number;
}

/** A failing endpoint, as the verdict document reports it (`failing_endpoints`). */
export interface EndpointFailure {
  endpoint: string;
  pre: { answered: number; requests: number };
  post: { failed: number; requests: number };
  errors: Record<string, number>;
  /** Fisher's exact test of POST failures against PRE failures, Holm-corrected across the endpoints. */
  p_value: number;
  message: string;
}

/** Failed requests that make the finding in a window of `planned` ticks, `settle` of them settling. */
export function failuresNeeded(planned: number, settle: number): number {
  return Math.max(MIN_FAILURES, Math.ceil(FAILURE_SHARE * Math.max(0, planned - settle)));
}

/**
 * Every endpoint that answered before the deploy and failed more of its settled POST requests than
 * of its PRE ones, by what it makes of the verdict:
 * - `failing`: the finding (the share is met and the test passes);
 * - `unconfirmed`: the share is met but too few requests to rule out chance (a short window, few PRE
 *   samples, several endpoints to correct for): never ok, attention;
 * - `worse`: fewer failures than the share: a line in the details, so no failure goes unsaid.
 */
export interface EndpointJudgement {
  failing: EndpointFailure[];
  unconfirmed: EndpointFailure[];
  worse: EndpointFailure[];
}

export function judgeEndpoints(input: EndpointsInput, alpha: number): EndpointJudgement {
  const tested = input.list.filter((e) => e.pre.answered > 0);
  const adjusted = holmAdjusted(tested.map((e) => pValue(e, e.post.answered)));
  const needed = failuresNeeded(input.planned, input.settle);
  const out: EndpointJudgement = { failing: [], unconfirmed: [], worse: [] };
  tested.forEach((e, i) => {
    const p = adjusted[i]!;
    if (e.post.failed >= needed && p <= alpha) out.failing.push(failure(e, p));
    else if (e.post.failed > 0 && failedShare(e.post) > failedShare(e.pre)) (e.post.failed >= needed ? out.unconfirmed : out.worse).push(failure(e, p));
  });
  return out;
}

/** Endpoints that answered before the deploy and failed a sustained share of the window after it. */
export function endpointFailures(input: EndpointsInput, alpha: number): EndpointFailure[] {
  return judgeEndpoints(input, alpha).failing;
}

function failure(e: EndpointAvailability, p: number): EndpointFailure {
  const failed = e.post.failed + e.settling.failed;
  const requests = failed + e.post.answered + e.settling.answered;
  const preRequests = e.pre.answered + e.pre.failed;
  return {
    endpoint: e.endpoint,
    pre: { answered: e.pre.answered, requests: preRequests },
    post: { failed, requests },
    errors: e.errors,
    p_value: roundSig(p, 3),
    message: `${e.endpoint} failed ${failed} of ${requests} POST requests${reasons(e.errors)} after answering ${e.pre.answered === preRequests ? `all ${preRequests}` : `${e.pre.answered} of ${preRequests}`} PRE requests`,
  };
}

function failedShare(o: Outcomes): number {
  const n = o.answered + o.failed;
  return n === 0 ? 0 : o.failed / n;
}

/**
 * Early: endpoints whose finding the rest of the window can no longer undo (the failures reach the
 * share, and the test passes even if every request still to come is answered). Bonferroni over the
 * endpoints here, which Holm at the end never exceeds.
 */
export function outageDecisive(input: EndpointsInput, alpha: number): string[] | undefined {
  if ((input.action ?? 'rollback') !== 'rollback') return undefined;
  const tested = input.list.filter((e) => e.pre.answered > 0);
  const needed = failuresNeeded(input.planned, input.settle);
  const remaining = Math.max(0, input.planned - input.settle);
  const decisive = tested.filter((e) => e.post.failed >= needed && tested.length * pValue(e, Math.max(e.post.answered, remaining - e.post.failed)) <= alpha);
  return decisive.length > 0 ? decisive.map((e) => e.endpoint) : undefined;
}

/** The endpoint closest to the finding, for the live view: failures after the settle period so far, and how many make it. */
export function outageProgress(input: EndpointsInput): { endpoint: string; failed: number; needed: number } | undefined {
  let worst: EndpointAvailability | undefined;
  for (const e of input.list) if (e.pre.answered > 0 && e.post.failed > 0 && (!worst || e.post.failed > worst.post.failed)) worst = e;
  return worst && { endpoint: worst.endpoint, failed: worst.post.failed, needed: failuresNeeded(input.planned, input.settle) };
}

/** One-sided Fisher's exact test: more POST failures (after the settle period) than PRE's failure share explains. */
function pValue(e: EndpointAvailability, postAnswered: number): number {
  const postRequests = e.post.failed + postAnswered;
  const total = e.pre.answered + e.pre.failed + postRequests;
  return hypergeometricUpperTail(e.post.failed, total, e.pre.failed + e.post.failed, postRequests);
}

function reasons(errors: Record<string, number>): string {
  const top = Object.entries(errors).sort((a, b) => b[1] - a[1]);
  if (top.length === 0) return '';
  const shown = top.slice(0, 3).map(([why, n]) => `${why}: ${n}`);
  return ` (${shown.join(', ')}${top.length > 3 ? ', ...' : ''})`;
}

/** A failed request's reason, short enough to count: `HTTP 500`, `timeout`, `connection refused`, `malformed body`, `exit 1`. */
export function failureReason(error: string | null | undefined): string {
  const head = (error ?? '').split(': ')[0]!.trim();
  if (/^(timeout|timed out)/i.test(head)) return 'timeout';
  return head.slice(0, 60) || 'failed';
}

/** One request's outcome, as a source gives it or the store keeps it. */
export interface RequestOutcome {
  endpoint: string;
  ok: boolean;
  error?: string | null | undefined;
  /** Requests sent for it: 0 when none could be. */
  attempts: number;
  /** The HTTP status it failed with; for a sample not asked (attempts 0), the status that asked for the pause (Retry-After), if any. */
  http_status?: number | null | undefined;
}

/** 503 Service Unavailable: a pause it asks for (Retry-After) is time the endpoint says it is down. */
const UNAVAILABLE = 503;
/** 429 Too Many Requests: the endpoint throttling seqpulse. */
const TOO_MANY_REQUESTS = 429;

/**
 * Request outcomes per endpoint, tick by tick, as they arrive or as they are read back from the
 * store: what `endpointFailures` judges. Ticks before `settle` (POST) are the settle period.
 */
export class EndpointTally {
  private readonly byEndpoint = new Map<string, EndpointAvailability>();
  /** POST ticks whose signature was rejected. */
  rejected = 0;

  constructor(private readonly settle: number) {}

  add(phase: Phase, seq: number, { endpoint, ok, error, attempts, http_status }: RequestOutcome): void {
    // A signature rejected after the deploy is a configuration problem (SPEC §4), not an outage: counted apart, to be said.
    if (endpoint === ALL_ENDPOINTS) {
      if (phase === 'post') this.rejected++;
      return;
    }
    // A 429 is the endpoint throttling seqpulse, not failing: neither answered nor failed, whether
    // it was the answer or a pause it asked for held the tick off (with Retry-After or without, the
    // same throttling had given a rollback or no verdict). No request was sent otherwise: the tick's
    // deadline gone before its turn, or a pause not over. A 503's pause is the endpoint saying it is
    // down until then (a broken instance behind a maintenance page asking for 10 s at every
    // request, 1 s apart, had 9 ticks in 10 left out and was ok): failed, as each request in it
    // would have; a pause asked before the deploy carries no status after it (retrying.ts). The
    // pause is at most a minute (MAX_HOLD_MS), so one asked once and then recovered from is seen
    // recovered. Told by the attempts and the status, never by the error text, which can carry what
    // an endpoint or a metrics command wrote.
    if (!ok && (http_status === TOO_MANY_REQUESTS || (attempts === 0 && http_status !== UNAVAILABLE))) return;
    let e = this.byEndpoint.get(endpoint);
    if (!e) this.byEndpoint.set(endpoint, (e = blank(endpoint)));
    const bucket = phase === 'pre' ? e.pre : seq < this.settle ? e.settling : e.post;
    if (ok) bucket.answered++;
    else {
      bucket.failed++;
      if (phase === 'post') {
        const why = failureReason(error);
        e.errors[why] = (e.errors[why] ?? 0) + 1;
      }
    }
  }

  list(): EndpointAvailability[] {
    return [...this.byEndpoint.values()].map((e) => ({ ...e, pre: { ...e.pre }, settling: { ...e.settling }, post: { ...e.post }, errors: { ...e.errors } }));
  }
}

function blank(endpoint: string): EndpointAvailability {
  return { endpoint, pre: { answered: 0, failed: 0 }, settling: { answered: 0, failed: 0 }, post: { answered: 0, failed: 0 }, errors: {} };
}
