/** Pushing seqpulse's own metrics after run/finish (`--pushgateway`). */
import type { AppIO } from '../app/io.js';
import { pushRunMetrics } from '../app/pushgateway.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { VerdictReport } from '../core/types.js';
import { redactError, redactUrl } from '../redact.js';
import type { Console } from './context.js';

/**
 * After run/finish with --pushgateway: seqpulse's own metrics; a failure is a warning, never the
 * exit code. A SIGINT/SIGTERM during the push ends it: the verdict is stored, nothing waits on the gateway.
 */
export async function pushAfterRun(config: ResolvedConfig, io: AppIO, report: VerdictReport, console: Console): Promise<void> {
  if (!config.pushgateway) return;
  const stop = new AbortController();
  const unsubscribe = io.interrupts.onSignal((sig) => stop.abort(new Error(`interrupted by ${sig}`)));
  try {
    await pushRunMetrics(config.pushgateway, io.store, report, io.stats?.analysisSeconds, config.timeoutMs, stop.signal);
    console.logger.log('info', 'metrics_pushed', `Pushed seqpulse metrics to ${redactUrl(config.pushgateway)}.`, { deployment_id: report.deployment_id });
  } catch (err) {
    console.logger.log('warn', 'push_failed', `Could not push seqpulse metrics to ${redactUrl(config.pushgateway)}: ${redactError(err, config.pushgateway)}. The run and its verdict are unaffected.`, { deployment_id: report.deployment_id });
  } finally {
    unsubscribe();
  }
}
