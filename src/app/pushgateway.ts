/** Pushing seqpulse's own metrics to a Pushgateway at the end of a run (see output/self-metrics.ts). */
import { Agent, request } from 'undici';
import type { VerdictReport } from '../core/types.js';
import { formatDuration } from '../config/duration.js';
import { untilAborted } from '../deadline.js';
import { boundedConnect } from '../net/lookup.js';
import { pushPath, selfMetricsText } from '../output/self-metrics.js';
import { redactUrl } from '../redact.js';
import { shorten } from '../output/terminal.js';
import { readBodyCapped } from '../sources/read-body.js';
import type { Store } from '../store/types.js';

/** Enough of an error answer to say what the gateway objected to. */
const ANSWER_BYTES = 16 * 1024;

/**
 * PUT replaces the group's metrics: the last run of a project/env is what the gateway shows. The
 * whole push (connect, send, answer) has `timeoutMs`; past it, or once `stop` aborts (a signal),
 * the connection is destroyed.
 */
export async function pushRunMetrics(url: string, store: Store, report: VerdictReport, analysisSeconds: number | undefined, timeoutMs: number, stop?: AbortSignal): Promise<void> {
  const run = await store.getRun(report.deployment_id);
  if (!run) return;
  const target = new URL(pushPath(url, run.project, run.env));
  const headers: Record<string, string> = { 'content-type': 'text/plain; version=0.0.4' };
  if (target.username || target.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`;
    target.username = target.password = '';
  }
  const body = selfMetricsText({ run, report, samples: await store.getSamples(run.id), analysisSeconds });
  const agent = new Agent({ connect: boundedConnect(timeoutMs) });
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = stop ? AbortSignal.any([deadline, stop]) : deadline;
  try {
    // Not waited for past the abort: a TLS handshake the gateway never answers held the push until
    // undici's connect timeout, a SIGTERM included (the whole `timeout`, not "at once").
    const res = await untilAborted(request(target, { method: 'PUT', body, headers, dispatcher: agent, signal }), signal);
    const text = (await readBodyCapped(res.body, ANSWER_BYTES).catch(() => Buffer.alloc(0))).toString('utf8');
    if (deadline.aborted) throw deadline.reason;
    if (res.statusCode >= 300) throw new Error(`${redactUrl(url)} answered HTTP ${res.statusCode}${text.trim() ? `: ${shorten(text.trim(), 200)}` : ''}`);
  } catch (err) {
    if (stop?.aborted) throw stop.reason;
    if (deadline.aborted) throw new Error(`${redactUrl(url)} did not answer within ${formatDuration(timeoutMs)} (timeout)`);
    throw err;
  } finally {
    await agent.destroy();
  }
}
