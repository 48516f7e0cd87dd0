/**
 * The deployment cycle, in the halves `start` and `finish` expose and the whole `run` chains:
 * PRE samples -> deploy -> POST samples over the window -> verdict, everything stored as it happens.
 */
import { randomUUID } from 'node:crypto';
import { timingIssues, type ResolvedConfig } from '../config/resolve.js';
import type { DeployResult, StopSignal, VerdictReport } from '../core/types.js';
import { ConfigError, StoreError, UsageError } from '../errors.js';
import { runDeploy, type DeployOptions, type DeployOutcome } from '../runner/deploy.js';
import type { RunRecord, RunSettings, Store, StoredSample } from '../store/types.js';
import { requireCollection } from '../sources/factory.js';
import { concludeRun } from './conclude.js';
import { whyNoVerdict } from './no-verdict.js';
import type { AppIO } from './io.js';
import { liveText, liveView } from './live.js';
import { backfillPhase, collectPhase, type PhaseOutcome } from './phase.js';
import { postTicks, settleSamples, type ReportOptions } from './report.js';
import { asColumns } from '../core/columns.js';
import { redactText } from '../redact.js';
import { snapshotsFromSamples } from './snapshots.js';
import { unreportedAfterPre } from './unreported.js';
import { historyBaseline, recentHealthyRuns, unreadableHealthyRuns } from './history.js';
import { finishConfig, sampledFrom, samplesTheApp, settingsOf, untrustedHint } from './run-settings.js';
import { sealSettings, settingsKeys } from './settings-mac.js';
import { earlyLook, type LookState } from '../core/early.js';
import { EndpointTally } from '../core/outage.js';
import { findRun } from './find-run.js';
import { shownLocation } from '../store/location.js';
import { thisProcess } from './abandoned.js';
import { byDoor, optionName } from '../config/names.js';
import { formatDuration } from '../config/duration.js';

export type CycleOutcome = { kind: 'report'; report: VerdictReport; repeated?: boolean } | { kind: 'started'; run: RunRecord; report?: undefined };

/** `seqpulse run -- <cmd>`: the whole cycle in one blocking call. */
export async function runCycle(config: ResolvedConfig, argv: readonly string[], io: AppIO): Promise<VerdictReport> {
  const started = await startPhase(config, io, argv.map((arg) => redactText(arg, config.redactions)));
  if (started.kind === 'report') return started.report;
  const run = started.run;
  io = forRun(io, run.id);

  await io.store.updateRun(run.id, { status: 'deploying' });
  // A signal taken while that write waited (a locked store) has nobody to pass it to: the deploy must not start.
  const before = io.interrupts.received();
  if (before) return interruptedBeforeDeploy(config, run, before, io);
  io.progress.phase('deploy', `Deploying: ${run.command?.join(' ')}`);
  const outcome = await runDeploy(argv, { stdout: io.deployStdout === 'stderr' ? 'stderr' : 'inherit', ...deployLines(config, io), interrupts: io.interrupts, graceMs: config.killGraceMs });
  return afterDeploy(() => judgeDeploy(config, run, outcome, io));
}

/** The deploy's output as log events, when the logs are JSON lines: what it prints is passed through the run's redactions like everything else logged. `io` is the run's (its logger carries the deployment id). */
function deployLines(config: ResolvedConfig, io: AppIO): Pick<DeployOptions, 'lines' | 'linesSink'> {
  if (io.deployStdout !== 'log') return {};
  const log = io.logger.with({ phase: 'deploy' });
  // The log's lines go to stderr (output/logger.ts).
  return { lines: (stream, line) => log.log('info', 'deploy_output', redactText(line, config.redactions), { stream }), linesSink: process.stderr };
}

/** Everything after the deploy command ended: record how it went, then observe and judge (or explain why not). */
async function judgeDeploy(config: ResolvedConfig, run: RunRecord, outcome: DeployOutcome, io: AppIO): Promise<VerdictReport> {
  const log = io.logger.with({ deployment_id: run.id });
  const deployedAt = new Date(io.clock.now()).toISOString();
  const interrupted = io.interrupts.received();
  // An interrupted deploy has no known outcome: the signal may have stopped it half-way.
  const result: DeployResult | null = interrupted ? null : outcome.exitCode === 0 ? 'success' : 'failed';
  const deployState = { result, deploy_exit_code: outcome.exitCode, deploy_signal: outcome.signal, deployed_at: deployedAt };
  // Recorded at once: whatever happens next, the store knows how the deploy went.
  await io.store.updateRun(run.id, deployState);
  log.log(result === 'failed' ? 'warn' : 'info', 'deploy_ended', `Deploy command ended: ${describeDeploy(outcome)} after ${formatDuration(outcome.durationMs)}`, {
    phase: 'deploy',
    exit_code: outcome.exitCode,
    signal: outcome.signal,
    duration_ms: outcome.durationMs,
  });

  if (interrupted) {
    return concludeRun(io, run, { ...deployState, status: 'interrupted' }, {
      ...reportOptions(config, io, interrupted),
      outcome: { summary: `Interrupted by ${interrupted} during the deploy; the signal was passed to the deploy command`, details: [describeDeploy(outcome)] },
    });
  }
  if (result === 'failed') {
    return concludeRun(io, run, { ...deployState, status: 'deploy_failed' }, {
      ...reportOptions(config, io),
      outcome: { summary: `The deploy command failed (${describeDeploy(outcome)}); POST sampling skipped`, details: [describeDeploy(outcome)] },
    });
  }
  return postPhase(config, { ...run, ...deployState }, io);
}

/** `seqpulse start`: PRE samples, stored as a run waiting for `finish`. */
export async function startRun(config: ResolvedConfig, io: AppIO): Promise<CycleOutcome> {
  return startPhase(config, io, null);
}

/**
 * The run a `finish` names and the config it collects with: the settings `start` stored (interval,
 * window, settle, persist, source, rules...) unless flags or SEQPULSE_* given to `finish` override
 * them, said in one line through `tell` (a warning when the stored settings could not be
 * authenticated, and only their timing was used), and checked like any collection. Every door
 * builds its source, timeouts and retries from this config, never from its own inputs. A repeated
 * finish (or one of a failed deploy, or of a run past `started`) collects nothing and needs none of it.
 */
export async function prepareFinish(config: ResolvedConfig, id: string, result: DeployResult, store: Store, tell: (note: string, run: RunRecord, level: 'info' | 'warn') => void): Promise<{ run: RunRecord; config: ResolvedConfig }> {
  const run = await findRun(store, id, shownLocation(config.store));
  // Nothing to collect: finishRun returns the verdict, or says why the run cannot be finished.
  if (result !== 'success' || run.status !== 'started' || (await store.getVerdict(run.id))) return { run, config };
  const { config: finishing, note, check } = finishConfig(config, run);
  // The window finish observes is the stored one unless it was given its own (resolveConfig left this to here).
  const timing = timingIssues(finishing);
  if (timing.length > 0) throw new ConfigError(timing);
  try {
    requireCollection(finishing);
  } catch (err) {
    if (check.verified || !(err instanceof ConfigError)) throw err;
    // What is missing was stored, but could not be trusted: say so, and both ways out.
    const why = untrustedHint(run, check.reason);
    throw new ConfigError(err.issues, err.hint ? `${why}\n${err.hint}` : why);
  }
  tell(note, run, check.verified ? 'info' : 'warn');
  return { run, config: finishing };
}

/** `seqpulse finish <id>`: POST half, or the stored verdict again when the run already has one. */
export async function finishRun(config: ResolvedConfig, run: RunRecord, result: DeployResult, io: AppIO): Promise<CycleOutcome> {
  // `finish` comes after the deploy, whoever ran it.
  return afterDeploy(() => finishDeployed(config, run, result, forRun(io, run.id)));
}

/**
 * Once the deploy went ahead, a store that stops working (disk full, locked past the busy
 * timeout) is no configuration mistake found in time: no verdict could be made (exit 3).
 */
async function afterDeploy<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw err instanceof StoreError ? err.afterDeploy() : err;
  }
}

async function finishDeployed(config: ResolvedConfig, run: RunRecord, result: DeployResult, io: AppIO): Promise<CycleOutcome> {
  const stored = await io.store.getVerdict(run.id);
  if (stored && run.status === 'interrupted') {
    throw new UsageError(`run ${run.id} was interrupted (${stored.summary}) and cannot be finished`, 'Nothing was judged. If the deploy went ahead anyway, start a new run with `seqpulse start` and finish that one.');
  }
  if (stored) return { kind: 'report', report: stored, repeated: true };
  if (run.status !== 'started') {
    const why = whyNoVerdict(run);
    const hint = run.status === 'observing' ? 'Another `finish` is observing this run, or one was cut off; start a new run with `seqpulse start`.' : why.hint;
    throw new UsageError(`run ${run.id} ${why.reason}, so it cannot be finished`, hint);
  }
  const deployedAt = new Date(io.clock.now()).toISOString();
  if (result === 'failed') {
    return {
      kind: 'report',
      report: await concludeRun(io, run, { status: 'deploy_failed', result, deployed_at: deployedAt }, {
        ...reportOptions(config, io),
        outcome: { summary: 'The deploy failed (finish was told so); POST sampling skipped', details: [`finish was called with ${byDoor({ cli: '--result failed', action: 'input result: failed' })}`] },
      }),
    };
  }
  const settings: RunSettings = { ...settingsOf(config), pre_samples: run.settings.pre_samples, owner: thisProcess() };
  // A claim: of two finishes of this run at once, both having read it `started`, one observes and
  // the other is told so. Unconditional, both observed the whole window (every request twice),
  // each storing the ticks it wrote first.
  if (!(await io.store.updateRun(run.id, { status: 'observing', settings, result, deployed_at: deployedAt }, 'started'))) {
    const now = await io.store.getRun(run.id);
    if (now === undefined || now.status === 'started') throw new StoreError(`run ${run.id} changed in ${shownLocation(config.store)} while finish was starting: it could not be claimed`, undefined, 'Run `seqpulse show` on it, and start a new run if it cannot be finished.');
    return finishDeployed(config, now, result, io);
  }
  return { kind: 'report', report: await postPhase(config, { ...run, settings, result, deployed_at: deployedAt }, io) };
}

/** PRE samples are kept in memory until the phase ends: a rejected signature then leaves nothing stored, and nothing was deployed. */
async function startPhase(config: ResolvedConfig, io: AppIO, command: string[] | null): Promise<CycleOutcome> {
  const now = new Date(io.clock.now()).toISOString();
  const run: RunRecord = {
    id: randomUUID(),
    project: config.project,
    env: config.env,
    status: 'started',
    // `start` leaves no process behind; `run` does, and a later command must be able to tell it died.
    settings: command === null ? settingsOf(config) : { ...settingsOf(config), owner: thisProcess() },
    command,
    result: null,
    deploy_exit_code: null,
    deploy_signal: null,
    created_at: now,
    updated_at: now,
    deployed_at: null,
    finished_at: null,
  };
  io = forRun(io, run.id);
  const log = io.logger;
  const buffered: StoredSample[] = [];
  const preRange = config.source.type === 'prometheus' ? config.source.preRangeMs : undefined;
  const targets = sampledFrom(config).length;
  io.progress.phase('pre', preRange ? `PRE: the last ${formatDuration(preRange)} of history` : `PRE: ${config.preSamples} samples from ${targets} endpoint(s)`);
  let pre: PhaseOutcome;
  try {
    if (preRange) {
      const backfilled = await backfillPhase(phaseDeps(io), { runId: run.id, rangeMs: preRange, intervalMs: config.intervalMs, timeoutMs: config.timeoutMs });
      buffered.push(...backfilled.samples);
      // The baseline is what history held: that many ticks were "planned".
      run.settings.pre_samples = new Set(backfilled.samples.map((s) => s.seq)).size;
      pre = backfilled;
    } else {
      pre = await collectPhase(phaseDeps(io), {
        runId: run.id,
        phase: 'pre',
        count: config.preSamples,
        startAt: io.clock.now(),
        intervalMs: config.intervalMs,
        timeoutMs: config.timeoutMs,
        endpoints: targets,
        rules: config.rules,
        replaceFailed: true,
        save: async (samples) => void buffered.push(...samples),
      });
    }
  } finally {
    io.progress.stop();
  }
  // Sealed once complete: `finish` trusts these settings only with one of this config's secrets.
  const keys = settingsKeys(config);
  if (keys.length > 0) run.settings.mac = sealSettings(run, keys);
  await io.store.createRun(run);
  io.shared?.announce(run);
  await io.store.addSamples(buffered);
  log.log('info', 'pre_done', `PRE done: ${buffered.filter((s) => s.ok).length}/${buffered.length} requests answered`, { phase: 'pre' });
  const unreported = unreportedAfterPre(config.rules, config.configuredRules, buffered);
  if (unreported) log.log('warn', 'rules_unreported', unreported, { phase: 'pre' });

  const interrupted = io.interrupts.received();
  if (interrupted) return { kind: 'report', report: await interruptedBeforeDeploy(config, run, interrupted, io) };
  if (config.preSamples > 0 && pre.collected === 0) {
    log.log('warn', 'pre_unreachable', 'No endpoint answered before the deploy; deploying anyway (the app may be down and this deploy its fix). Without a baseline the verdict cannot be ok.', { phase: 'pre' });
  }
  return { kind: 'started', run };
}

/**
 * `start` stopped by a signal once its run was stored (while it was pushed to the shared store):
 * the pipeline was told to stop before its deploy, so the run is interrupted before the deploy, as
 * one stopped during PRE is. Undefined when no signal came.
 */
export async function interruptedAfterStart(config: ResolvedConfig, run: RunRecord, io: AppIO): Promise<VerdictReport | undefined> {
  const sig = io.interrupts.received();
  return sig ? interruptedBeforeDeploy(config, run, sig, io) : undefined;
}

function interruptedBeforeDeploy(config: ResolvedConfig, run: RunRecord, sig: StopSignal, io: AppIO): Promise<VerdictReport> {
  return concludeRun(io, run, { status: 'interrupted' }, {
    ...reportOptions(config, io, sig),
    outcome: { summary: `Interrupted by ${sig} before the deploy; nothing was deployed`, details: [] },
  });
}

async function postPhase(config: ResolvedConfig, started: RunRecord, io: AppIO): Promise<VerdictReport> {
  let run = started;
  await io.store.updateRun(run.id, { status: 'observing' });
  const healthy = await recentHealthyRuns(io.store, run, config.historyRuns, config.rules);
  const unreadable = unreadableHealthyRuns(healthy);
  if (unreadable) io.logger.log('warn', 'history_unreadable', unreadable, { deployment_id: run.id });
  const history = config.baseline === 'history' ? historyBaseline(healthy) : undefined;
  const stored = await io.store.getSamples(run.id);
  const ownPre = snapshotsFromSamples(stored, config.rules).pre;
  // Converted to columns once: the live view and the early decision judge them after every tick.
  const fromHistory = history !== undefined && history.snapshots.length > 0;
  const pre = asColumns(fromHistory ? history.snapshots : ownPre, config.rules);
  const count = postTicks(run.settings);
  const settle = settleSamples(run.settings);
  // Every request's outcome per endpoint, PRE's from the store: an endpoint that answered then and fails now is a finding.
  const tally = new EndpointTally(settle);
  for (const s of stored) if (s.phase === 'pre') tally.add('pre', s.seq, s);
  const endpoints = () => (samplesTheApp(run.settings.source) ? { list: tally.list(), rejected: tally.rejected, planned: count, settle, action: config.onEndpointFailure } : undefined);
  io.progress.phase('post', `POST: observing for ${formatDuration(run.settings.window_ms)}`);
  // Also as columns once: the early decision reads them after every tick.
  const healthyColumns = healthy.windows.map((w) => ({ pre: asColumns(w.pre, config.rules), post: asColumns(w.post, config.rules) }));
  const judgeInput = { pre, rules: config.rules, intervalMs: run.settings.interval_ms, healthy: healthyColumns, preAdjacent: !fromHistory };
  const recent = liveView(pre, config.rules);
  let decidedBy: LookState | undefined;
  let outcome;
  try {
    outcome = await collectPhase(phaseDeps(io), {
      runId: run.id,
      phase: 'post',
      count,
      startAt: io.clock.now() + run.settings.interval_ms,
      intervalMs: run.settings.interval_ms,
      timeoutMs: run.settings.timeout_ms,
      endpoints: run.settings.endpoints.length,
      rules: config.rules,
      save: (samples) => io.store.addSamples(samples),
      tally,
      settle,
      // The settle period is the first `settle` ticks after the deploy, as the endpoint tally and the verdict count it: a failed tick uses it up too.
      look: (post, progress) => {
        const look = config.earlyExit
          ? earlyLook({ ...judgeInput, post, settle: progress.settling, endpoints: endpoints() }, { persist: config.persist, planned: count, ticks: { done: progress.ticks, settle } })
          : undefined;
        if (look?.decisive) decidedBy = look.state;
        const live = liveText(recent(post, progress.settling), look?.state);
        return { stop: look?.decisive !== undefined, ...(live === undefined ? {} : { live }) };
      },
    });
  } finally {
    io.progress.stop();
  }
  if (outcome.stoppedAfter !== undefined) {
    run = { ...run, settings: { ...run.settings, early_exit_after: outcome.stoppedAfter } };
    await io.store.updateRun(run.id, { settings: run.settings });
    const byEndpoint = decidedBy?.kind === 'decisive' && decidedBy.endpoints === true;
    const what = decidedBy?.kind === 'decisive' ? `: ${decidedBy.metrics.join(', ')}` : '';
    io.logger.log('warn', 'early_exit', `${byEndpoint ? 'Endpoint failure' : 'Regression'} decisive after ${outcome.stoppedAfter} of ${count} POST samples${what}; ending the window early (${optionName('early_exit', 'false')} to always wait)`, {
      deployment_id: run.id,
      phase: 'post',
    });
  }
  const interrupted = io.interrupts.received();
  // A signal once every POST sample was in (the last one's write waiting on a locked store) cut
  // only that wait: the window is complete and its verdict stands, with the verdict's exit code
  // (SPEC §7's 130/143 are for a run stored as interrupted), as for a signal after the window.
  if (interrupted && outcome.completeBeforeSignal) {
    io.logger.log('warn', 'signal_after_window', `${interrupted} received after the last POST sample was in: the window is complete, concluding with its verdict`, { phase: 'post' });
  } else if (interrupted) {
    return concludeRun(io, run, { status: 'interrupted' }, {
      ...reportOptions(config, io, interrupted),
      outcome: { summary: `Interrupted by ${interrupted} during the observation window; no verdict`, details: [] },
    });
  }
  return concludeRun(io, run, { status: 'finished' }, { ...reportOptions(config, io), history, healthy: healthy.windows });
}

/** The command's IO for one run: with --log-format json, every line names the run (`deployment_id`), progress included. */
function forRun(io: AppIO, id: string): AppIO {
  const fields = { deployment_id: id };
  return { ...io, logger: io.logger.with(fields), progress: io.progress.with(fields) };
}

function phaseDeps(io: AppIO) {
  return { source: io.source(), clock: io.clock, progress: io.progress, logger: io.logger, signal: io.interrupts.signal };
}

function reportOptions(config: ResolvedConfig, io: AppIO, interruptedBy?: StopSignal): ReportOptions {
  return { rules: config.rules, failOn: config.failOn, now: new Date(io.clock.now()).toISOString(), interruptedBy: interruptedBy ?? null, dryRun: config.dryRun, onEndpointFailure: config.onEndpointFailure };
}

function describeDeploy(outcome: { exitCode: number | null; signal: string | null; spawnError?: string }): string {
  if (outcome.spawnError) return `${outcome.spawnError} (exit ${outcome.exitCode})`;
  if (outcome.signal) return `killed by ${outcome.signal}`;
  return `exit code ${outcome.exitCode}`;
}

