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
  /** The same progress (one spinner), its log lines also carrying these fields (the deployment id, once there is one). */
  with(fields: Record<string, unknown>): Progress;
}

export type ProgressMode = 'spinner' | 'lines' | 'silent';

export function createProgress(mode: ProgressMode, logger: Logger, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (mode === 'silent') {
    const silent: Progress = { phase: () => undefined, sample: () => undefined, stop: () => undefined, with: () => silent };
    return silent;
  }
  if (mode === 'lines') {
    return {
      phase: (phase, message) => logger.log('info', 'phase', message, { phase }),
      sample: (p) =>
        logger.log(p.answered === 0 ? 'warn' : 'info', 'sample', line(p), { phase: p.phase, index: p.index, answered: p.answered, endpoints: p.endpoints, errors: p.errors, ...(p.live === undefined ? {} : { live: p.live }) }),
      stop: () => undefined,
      with: (fields) => createProgress('lines', logger.with(fields), stream),
    };
  }
  // A terminal that reports no width (a pseudo-terminal nobody sized) would make the spinner's
  // redraw loop forever counting the lines it wrapped onto: plain lines there.
  if (!(stream.columns > 0)) return createProgress('lines', logger, stream);
  return spinnerProgress(logger, stream, {});
}

/** `state` is shared by the progress and those made `with` more fields: one spinner on the terminal, whoever stops it. */
function spinnerProgress(logger: Logger, stream: NodeJS.WriteStream, state: { spinner?: Ora | undefined }): Progress {
  return {
    phase(phase, message) {
      state.spinner?.stop();
      // discardStdin would put the terminal in raw mode and swallow Ctrl-C's SIGINT.
      state.spinner = phase === 'deploy' ? undefined : ora({ text: escapeControls(message), stream, discardStdin: false }).start();
      if (phase === 'deploy') logger.log('info', 'phase', message, { phase });
    },
    sample(p, now) {
      if (state.spinner) state.spinner.text = `${escapeControls(line(p))} · ${p.index + 1 < p.total ? `${formatDuration(Math.max(0, p.endsAt - now))} left` : 'finishing'}`;
    },
    stop() {
      state.spinner?.stop();
      state.spinner = undefined;
    },
    with: (fields) => spinnerProgress(logger.with(fields), stream, state),
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
