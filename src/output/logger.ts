/**
 * Logs on stderr: text for people, or one JSON object per line (--log-format json) carrying the
 * deployment id and phase so a run can be traced in a log pipeline. Never given a secret.
 */
import { escapeControls, forTerminal } from './terminal.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, event: string, message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines also carry these fields (deployment_id, phase). */
  with(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  format: 'text' | 'json';
  write?: (line: string) => void;
  now?: () => Date;
  /** Text mode only: prefix per level (e.g. coloured "warning:"). */
  label?: (level: LogLevel) => string;
  /**
   * Text mode only: leave out `info` lines (`--quiet`: the verdict, and warnings and errors, only),
   * except those of the events in `keep`.
   */
  quiet?: { keep: readonly string[] };
}

export function createLogger(opts: LoggerOptions, context: Record<string, unknown> = {}): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = opts.now ?? (() => new Date());
  return {
    log(level, event, message, fields = {}) {
      if (opts.format === 'json') {
        // JSON.stringify leaves C1 controls and bidi overrides raw: \u-escaped, the line stays valid JSON and reads the same.
        write(forTerminal(JSON.stringify({ time: now().toISOString(), level, event, ...context, ...fields, message }), false));
      } else if (level !== 'debug' && !(opts.quiet && level === 'info' && !opts.quiet.keep.includes(event))) {
        // Messages carry text from outside (server errors, metric names): one line, nothing a terminal obeys.
        write(`${opts.label?.(level) ?? defaultLabel(level)}${escapeControls(message)}`);
      }
    },
    with(fields) {
      return createLogger(opts, { ...context, ...fields });
    },
  };
}

function defaultLabel(level: LogLevel): string {
  return level === 'warn' ? 'seqpulse: warning: ' : level === 'error' ? 'seqpulse: error: ' : 'seqpulse: ';
}
