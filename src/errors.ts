/**
 * Typed errors and the exit-code table (SPEC §7). Commands throw these; only the CLI entry
 * (and the Action's main) turn them into a process exit, so every door reports the same way.
 */
import { formatDuration } from './config/duration.js';
import { optionName } from './config/names.js';
import { escapeControls, forDisplay, MAX_SENTENCE } from './output/terminal.js';
import { MAX_CLOCK_SKEW_SECONDS } from './signing/signature.js';

export const ExitCode = {
  Ok: 0,
  Regression: 1,
  Usage: 2,
  NoVerdict: 3,
  DeployFailed: 4,
  Internal: 70,
  Sighup: 129,
  Sigint: 130,
  Sigterm: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the user can fix; printed as a message with no stack trace. */
export class SeqpulseError extends Error {
  readonly exitCode: number;
  /** Stable machine-readable code for --json output. */
  readonly code: string;
  /** What to do about it, printed under the message. */
  readonly hint: string | undefined;

  constructor(message: string, opts: { exitCode: number; code: string; hint?: string; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode;
    this.code = opts.code;
    this.hint = opts.hint;
  }
}

/** Wrong flags, arguments or missing required settings. */
export class UsageError extends SeqpulseError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.Usage, code: 'usage_error', hint });
  }
}

export interface ConfigIssue {
  /** Where the value came from: a file path, `environment`, or `flags`. */
  source: string;
  /** Dotted key (`metrics.error_rate.threshold`), env var name or flag. */
  key: string;
  reason: string;
}

const MAX_ISSUES_LISTED = 20;

/** Invalid configuration: every issue names its source, key and reason (the first MAX_ISSUES_LISTED are listed). */
export class ConfigError extends SeqpulseError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], hint?: string) {
    // Reasons from the YAML parser and zod start with a capital ("Invalid input: ..."); ours do not.
    const own = issues.map((i) => ({ ...i, reason: i.reason.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase()) }));
    // One issue a line: a key, path or quoted value from outside with a line break in it would
    // otherwise start a line of its own, an issue that is not one (forTerminal keeps line breaks).
    const lines = own.slice(0, MAX_ISSUES_LISTED).map((i) => `${escapeControls(i.source)}: ${forDisplay(i.key)}: ${forDisplay(i.reason, MAX_SENTENCE)}`);
    // A file of 50,000 unknown keys made megabytes of error: the first ones say what is wrong.
    if (own.length > MAX_ISSUES_LISTED) lines.push(`… and ${(own.length - MAX_ISSUES_LISTED).toLocaleString('en-US')} more issues`);
    super(`invalid configuration:\n  ${lines.join('\n  ')}`, { exitCode: ExitCode.Usage, code: 'config_error', hint });
    this.issues = own;
  }
}

/**
 * The source's credentials cannot be used: rejected by the source, or unsafe to use. Never retried;
 * before the deploy it stops the run (nothing is deployed), after it the samples count as failed.
 */
export class CredentialsError extends SeqpulseError {}

/**
 * The metrics endpoint rejected our credentials (401/403): for `/ds-metrics` the signature (wrong
 * secret or clock), for other sources what `credentials` says; never retried.
 */
export class AuthError extends CredentialsError {
  constructor(endpoint: string, status: number, credentials?: { what: string; hint: string }) {
    super(
      credentials
        ? `${endpoint} rejected the request (HTTP ${status}): ${credentials.what} is wrong or missing`
        : `${endpoint} rejected the signed request (HTTP ${status}): the secret or the clock is wrong`,
      {
        exitCode: ExitCode.Usage,
        code: credentials ? 'credentials_rejected' : 'signature_rejected',
        hint: credentials?.hint ?? `Check that the secret (${optionName('secret')} or SEQPULSE_HMAC_SECRET) matches the app, and that both clocks are within ${formatDuration(MAX_CLOCK_SKEW_SECONDS * 1000)} of each other.`,
      },
    );
  }
}

/** The sql source's database role can do more than read: seqpulse refuses to send it any query. */
export class UnsafeRoleError extends CredentialsError {
  constructor(message: string, hint: string) {
    super(message, { exitCode: ExitCode.Usage, code: 'unsafe_role', hint });
  }
}

/** A stored run or file the command needs does not exist. */
export class NotFoundError extends SeqpulseError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.Usage, code: 'not_found', hint });
  }
}

/**
 * The store cannot be opened or written. Before the deploy that stops everything and nothing is
 * deployed (exit 2); once the deploy went ahead, use `afterDeploy`: no verdict could be made (exit 3).
 */
export class StoreError extends SeqpulseError {
  constructor(message: string, cause?: unknown, hint?: string, exitCode: number = ExitCode.Usage) {
    super(message, { exitCode, code: 'store_error', hint, cause });
  }

  /** The same failure, reported after the deploy: exit 3, and the message says the deploy went ahead. */
  afterDeploy(): StoreError {
    if (this.exitCode === ExitCode.NoVerdict) return this;
    return new StoreError(`${this.message}; the deploy went ahead, but no verdict could be made`, this.cause, this.hint, ExitCode.NoVerdict);
  }
}
