/** Pushing seqpulse's own metrics to a Pushgateway at the end of a run (see output/self-metrics.ts). */
import { request } from 'undici';
import type { VerdictReport } from '../core/types.js';
import { pushPath, selfMetricsText } from '../output/self-metrics.js';
import { redactUserinfo } from '../redact.js';
import type { Store } from '../store/types.js';

/** PUT replaces the group's metrics: the last run of a project/env is what the gateway shows. */
export async function pushRunMetrics(url: string, store: Store, report: VerdictReport, analysisSeconds: number | undefined, timeoutMs: number): Promise<void> {
  const run = await store.getRun(report.deployment_id);
  if (!run) return;
  const target = new URL(pushPath(url, run.project, run.env));
  const headers: Record<string, string> = { 'content-type': 'text/plain; version=0.0.4' };
  if (target.username || target.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`;
    target.username = target.password = '';
  }
  const body = selfMetricsText({ run, report, samples: await store.getSamples(run.id), analysisSeconds });
  const res = await request(target, { method: 'PUT', body, headers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${redactUserinfo(url)} answered HTTP ${res.statusCode}${text ? `: ${text.slice(0, 200).trim()}` : ''}`);
}
