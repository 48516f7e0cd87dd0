/**
 * Progress while sampling. On a terminal: a spinner refreshed in place with the phase, the
 * countdown and the current per-metric change. Elsewhere (CI logs): one plain line per sample.
 * With --quiet: nothing. With JSON logs: one `sample` event per sample.
 */
import ora, { type Ora } from 'ora';
import { formatDuration } from '../config/duration.js';
import type { MetricResult, Phase } from '../core/types.js';
import { formatPct } from '../core/wording.js';
import type { Logger } from './logger.js';
import { escapeControls, forDisplay, NAME_WIDTH } from './terminal.js';

export interface SampleProgress {
  phase: Phase;
  index: number;
  total: number;
  answered: number;
  endpoints: number;
  failedSoFar: number;
  /** Epoch ms the phase ends (last tick). */
  endsAt: number;
  /** The most notable metric right now, if the phase has a comparison to show. */
  worst?: MetricResult;
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
      sample: (p) => logger.log(p.answered === 0 ? 'warn' : 'info', 'sample', line(p), { phase: p.phase, index: p.index, answered: p.answered, endpoints: p.endpoints, errors: p.errors }),
      stop: () => undefined,
    };
  }
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
  const parts = [`${p.phase.toUpperCase()} sample ${p.index + 1}/${p.total}`, `${p.answered}/${p.endpoints} endpoints answered`];
  if (p.failedSoFar > 0) parts.push(`${p.failedSoFar} failed so far`);
  if (p.worst && p.worst.change_pct !== null) parts.push(`${forDisplay(p.worst.name, NAME_WIDTH)} ${formatPct(p.worst.change_pct)} (${p.worst.status})`);
  if (p.answered < p.endpoints && p.errors.length > 0) parts.push(forDisplay(p.errors[0]!));
  return parts.join(' · ');
}
