/**
 * A command that prints one sample (`source: command`): `{"metrics": {...}}` on stdout, as in a
 * sample file (SPEC §5). Run as argv (no shell) in its own process group once per tick, with the
 * phase and deployment id in its environment. Its process group is killed after every sample
 * (when it exits, on timeout, when the run is interrupted), so nothing it starts outlives its
 * sample. A failed or unreadable run of the command is a failed sample, retried like a failed request.
 * Its environment is seqpulse's without seqpulse's own credentials (commandEnv).
 */
import { spawn } from 'node:child_process';
import { formatDuration } from '../config/duration.js';
import { redactText } from '../redact.js';
import { shorten } from '../output/terminal.js';
import { signalGroup } from '../runner/process-group.js';
import { backoffDelay } from './backoff.js';
import { abortableSleep } from './retrying.js';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from './json-depth.js';
import type { CollectRequest, EndpointResult, MetricSource } from './types.js';
import { steadyNow } from '../sampling/clock.js';
import { utf8Body } from '../unicode.js';

/** Output past this is not a sample: the command is killed. */
const MAX_OUTPUT = 1024 * 1024;
/** After the command exits, how long its output pipes may stay open (held by a process that left its group). */
const EXIT_GRACE_MS = 200;

export interface CommandSourceOptions {
  argv: string[];
  timeoutMs: number;
  retries: number;
  /** Values to mask in error messages (the command's stderr may echo them). */
  redactions: string[];
  /** Waits between attempts; must resolve early when `signal` aborts. Default: abortableSleep. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface Outcome {
  ok: boolean;
  metrics?: Record<string, unknown>;
  error?: string;
}

export function createCommandSource(opts: CommandSourceOptions): MetricSource {
  const sleep = opts.sleep ?? abortableSleep;
  const label = `command: ${redactText(opts.argv.join(' '), opts.redactions)}`;
  return {
    async collect(req: CollectRequest): Promise<EndpointResult[]> {
      let attempts = 0;
      let outcome: Outcome;
      const started = steadyNow();
      for (;;) {
        attempts++;
        const timeout = Math.min(opts.timeoutMs, req.deadline - steadyNow());
        outcome = timeout <= 0 ? { ok: false, error: 'no time left before the next sample' } : await runOnce(opts.argv, req, timeout);
        const delay = backoffDelay(attempts, Math.random);
        if (outcome.ok || attempts > opts.retries || req.signal?.aborted || steadyNow() + delay >= req.deadline) break;
        // An interrupt (SIGINT, the phase stopped early) while waiting ends the sample now: the next
        // run's abort listener would have come too late to hear it, and the command run to its timeout.
        await sleep(delay, req.signal);
        if (req.signal?.aborted) break;
      }
      return [{
        endpoint: label,
        ok: outcome.ok,
        ...(outcome.metrics ? { metrics: outcome.metrics } : {}),
        ...(outcome.error ? { error: redactText(outcome.error, opts.redactions) } : {}),
        attempts,
        latency_ms: steadyNow() - started,
        taken_at: new Date().toISOString(),
      }];
    },
    async close() {},
  };
}

/**
 * One run of the command. Its exit ends the sample: the rest of its process group is killed at once
 * (whatever it left running, whether or not that holds the output open), what it printed is read
 * to the end, and whatever happens, nothing of the group is left once the sample is settled.
 */
function runOnce(argv: string[], req: CollectRequest, timeoutMs: number): Promise<Outcome> {
  const [command, ...args] = argv;
  // Its abort listener would never hear an abort that came before it.
  if (req.signal?.aborted) return Promise.resolve({ ok: false, error: 'interrupted' });
  return new Promise((resolve) => {
    const child = spawn(command!, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...commandEnv(process.env), SEQPULSE_PHASE: req.phase, SEQPULSE_DEPLOYMENT_ID: req.deploymentId },
    });
    // Bytes, decoded once whole: a chunk boundary may split a character, and output that is not UTF-8 is refused, not patched with U+FFFD.
    const stdout: Buffer[] = [];
    let printed = 0;
    let stderr = '';
    let settled = false;
    // No process groups (Windows): the command itself at least.
    const killGroup = () => signalGroup(child.pid, 'SIGKILL') || child.kill('SIGKILL');
    const done = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      killGroup();
      // A process that escaped the group (setsid) may still hold the pipes: they are not waited for.
      child.stdout!.destroy();
      child.stderr!.destroy();
      resolve(outcome);
    };
    const stop = (why: string) => done({ ok: false, error: why });
    const timer = setTimeout(() => stop(`timed out after ${formatDuration(timeoutMs)}`), timeoutMs);
    const onAbort = () => stop('interrupted');
    req.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      printed += chunk.length;
      if (printed > MAX_OUTPUT) stop(`printed more than ${MAX_OUTPUT} bytes`);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
    child.on('error', (err) => done({ ok: false, error: `could not start ${command}: ${err.message}` }));
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      const tail = stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : '';
      if (code !== 0) return done({ ok: false, error: `exit ${code ?? signal}${tail}` });
      done(parseSample(Buffer.concat(stdout)));
    };
    // The pipes close once their last writer is gone: with the group killed, that is now, unless a
    // process escaped the group (a daemon started with setsid) and holds them. Then what the
    // command printed before it exited is read, and the sample is that: waiting for the pipes would
    // have cost the whole timeout and failed a sample the command gave.
    child.on('exit', (code, signal) => {
      signalGroup(child.pid, 'SIGKILL');
      const grace = setTimeout(() => {
        // One turn of the event loop later, after its I/O poll: output already in the pipe is read first.
        setImmediate(() => finish(code, signal));
      }, EXIT_GRACE_MS);
      grace.unref();
    });
    child.on('close', finish);
  });
}

/**
 * seqpulse's own credentials, which a metrics command has no use for: the HMAC secret, the source
 * token, and URLs that may carry a password (database, store, sync target, Prometheus, Pushgateway).
 */
const OWN_CREDENTIALS = ['SEQPULSE_HMAC_SECRET', 'SEQPULSE_SOURCE_TOKEN', 'SEQPULSE_SQL_URL', 'SEQPULSE_STORE', 'SEQPULSE_SYNC', 'SEQPULSE_PROMETHEUS_URL', 'SEQPULSE_PUSHGATEWAY'];

/** The command's environment: seqpulse's, without seqpulse's own credentials (the command's own variables pass). */
export function commandEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) if (!OWN_CREDENTIALS.includes(name.toUpperCase())) out[name] = value;
  return out;
}

function parseSample(printed: Buffer): Outcome {
  if (jsonNestingExceeds(printed)) return { ok: false, error: `printed JSON nested deeper than ${MAX_JSON_DEPTH} levels` };
  // A byte order mark before the JSON (PowerShell, .NET and Windows editors write one) is ignored, as
  // for an endpoint's body and a sample file: JSON.parse refused it, and the reason quoted the output
  // trimmed of it, a valid sample.
  const decoded = utf8Body(printed, 'the output');
  if (!('text' in decoded)) return { ok: false, error: `malformed output: ${decoded.reason}; JSON is UTF-8 text` };
  const { text } = decoded;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, error: `printed no JSON sample (expected {"metrics": {...}}, got ${JSON.stringify(shorten(text.trim(), 80))})` };
  }
  const metrics = (parsed as { metrics?: unknown } | null)?.metrics;
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) return { ok: false, error: 'printed JSON without a "metrics" object (expected {"metrics": {...}})' };
  return { ok: true, metrics: metrics as Record<string, unknown> };
}
