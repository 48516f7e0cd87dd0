/**
 * Progress while sampling. On a terminal: a spinner refreshed in place with the phase, the
 * countdown and the current per-metric change. Elsewhere (CI logs): one plain line per sample.
 * With --quiet: nothing. With JSON logs: one `sample` event per sample.
 */
import ora, { type Ora } from 'ora';
import { formatDuration } from '../config/duration.js';
import type { Phase } from '../core/types.js';
import type { Logger } from './logger.js';
import { escapeControls, forDisplay } from './terminal.js';

export interface SampleProgress {
  phase: Phase;
  index: number;
  total: number;
  answered: number;
  endpoints: number;
  failedSoFar: number;
  /** Epoch ms the phase ends (last tick). */
  endsAt: number;
  /** What the judge sees right now and what the decision waits for (POST), e.g. `error_rate +120% (regression, not yet decisive: p=0.01, needs 0.0002)`. */
  live?: string;
  errors: string[];
}

export interface Progress {
  phase(phase: Phase | 'deploy', message: string): void;
  sample(p: SampleProgress, now: number): void;
  /** Clears the spinner before other output is written. */
  stop(): void;
}

export type ProgressMode = 'spinner' | 'lines' | 'silent';

export function createProgress(mode: ProgressMode, logger: Logger, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (mode === 'silent') return { phase: () => undefined, sample: () => undefined, stop: () => undefined };
  if (mode === 'lines') {
    return {
      phase: (phase, message) => logger.log('info', 'phase', message, { phase }),
      sample: (p) =>
        logger.log(p.answered === 0 ? 'warn' : 'info', 'sample', line(p), { phase: p.phase, index: p.index, answered: p.answered, endpoints: p.endpoints, errors: p.errors, ...(p.live === undefined ? {} : { live: p.live }) }),
      stop: () => undefined,
    };
  }
  // A terminal that reports no width (a pseudo-terminal nobody sized) would make the spinner's
  // redraw loop forever counting the lines it wrapped onto: plain lines there.
  if (!(stream.columns > 0)) return createProgress('lines', logger, stream);
  let spinner: Ora | undefined;
  return {
    phase(phase, message) {
      spinner?.stop();
      // discardStdin would put the terminal in raw mode and swallow Ctrl-C's SIGINT.
      spinner = phase === 'deploy' ? undefined : ora({ text: escapeControls(message), stream, discardStdin: false }).start();
      if (phase === 'deploy') logger.log('info', 'phase', message, { phase });
    },
    sample(p, now) {
      if (spinner) spinner.text = `${escapeControls(line(p))} · ${p.index + 1 < p.total ? `${formatDuration(Math.max(0, p.endsAt - now))} left` : 'finishing'}`;
    },
    stop() {
      spinner?.stop();
      spinner = undefined;
    },
  };
}

function line(p: SampleProgress): string {
  // Past the plan, PRE is replacing samples that got no answer.
  const which = p.index < p.total ? `${p.index + 1}/${p.total}` : `${p.index + 1} (extra, replacing a failed one; ${p.total} planned)`;
  const parts = [`${p.phase.toUpperCase()} sample ${which}`, `${p.answered}/${p.endpoints} endpoints answered`];
  if (p.failedSoFar > 0) parts.push(`${p.failedSoFar} failed so far`);
  if (p.live) parts.push(escapeControls(p.live));
  if (p.answered < p.endpoints && p.errors.length > 0) parts.push(forDisplay(p.errors[0]!));
  return parts.join(' · ');
}
