/**
 * The GitHub Action: a thin door over the same config, sources, cycle and analysis as the CLI.
 * What differs is the edge: inputs instead of flags; outputs, a job summary, annotations and
 * optional GitHub statuses instead of a terminal; and a store that needs no native addon (SQLite in
 * WebAssembly, a file in the workspace, or the team's Postgres).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@actions/core';
import { finishRun, prepareFinish, runCycle, startRun } from '../app/cycle.js';
import { abandonedMessage, ownerAlive, reapAbandoned } from '../app/abandoned.js';
import type { AppIO } from '../app/io.js';
import { sharedPeer, type SharedPeer } from '../app/shared.js';
import { conflictMessage } from '../app/sync.js';
import { loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { VerdictReport } from '../core/types.js';
import type { RunRecord, Store } from '../store/types.js';
import { ExitCode, SeqpulseError, UsageError } from '../errors.js';
import { useDoor } from '../config/names.js';
import { formatConfidence } from '../core/wording.js';
import { createLogger } from '../output/logger.js';
import { renderFailureMarkdown, renderMarkdown } from '../output/markdown.js';
import { createProgress } from '../output/progress.js';
import { MIN_TEXT_SECRET, redactError, redactText, redactUrl } from '../redact.js';
import { watchInterrupts } from '../runner/signals.js';
import { systemClock } from '../sampling/clock.js';
import { createSource, requireCollection } from '../sources/factory.js';
import type { MetricSource } from '../sources/types.js';
import { userAgent } from '../version.js';
import { checkDeployCommand } from '../runner/command-check.js';
import { publish } from './github.js';
import { readInputs, unknownInputs, type ActionInputs } from './inputs.js';
import { openActionStore } from './store.js';
import { displayableReport, escapeControls, forDisplay, inertToRunner, MAX_SENTENCE, shorten } from '../output/terminal.js';

/**
 * GitHub refuses a step summary over 1 MiB (1024 * 1024 bytes, not characters: a summary of CJK
 * text is three times its length in bytes), and then shows none of it: kept under, with room.
 */
const SUMMARY_BYTES = 1_000_000;

/** A failure's message and hint at most this long in the annotation (the report file keeps every word of a verdict). */
const FAILURE_SHOWN = 2_000;

/**
 * A line for the log. core.info writes it as it is, and the runner obeys a workflow command in any
 * line: what quotes text from outside (an id the GitHub API answered, a stored run's settings) is
 * one line, and no command. core.warning, core.error and core.notice are commands themselves, whose
 * text @actions/core escapes.
 */
function info(text: string): void {
  core.info(inertToRunner(escapeControls(text)));
}

/** Runs the step; the exit code is also set on the process (non-zero fails the step). */
export async function run(): Promise<number> {
  // Masked before anything is logged: the runner then hides them in every line of the log.
  const masked = new Set<string>();
  // A value shorter than MIN_TEXT_SECRET is not handed to the runner: it would hide every such
  // letter or pair in every line of the log (showing the secret by what is missing), as redactText
  // never masks one in free text either. Where such a value stands in a URL it is masked there; an
  // HMAC secret that short is refused (refuseShortSecrets).
  const mask = (secret: string | undefined) => {
    if (!secret || secret.length < MIN_TEXT_SECRET || masked.has(secret)) return;
    masked.add(secret);
    core.setSecret(secret);
  };
  // Messages name inputs (`input window`), not the CLI's flags.
  useDoor('action');
  let where: { project: string; env: string } | undefined;
  try {
    // Masked before anything can fail: an error message must never carry it to the log.
    const givenSecrets = core.getMultilineInput('secret').map((secret) => secret.trim()).filter(Boolean);
    refuseShortSecrets(givenSecrets, 'input secret');
    givenSecrets.forEach(mask);
    for (const warning of unknownInputs()) core.warning(warning);
    const inputs = readInputs();
    [...(inputs.flags.secret ?? []), inputs.flags.sourceToken, inputs.githubToken].forEach(mask);
    const config = await loadConfig({ cwd: process.cwd(), env: process.env, flags: inputs.flags, configPath: inputs.configPath, ...(inputs.mode === 'finish' ? { timingLater: true } : {}) });
    refuseShortSecrets(config.secrets, 'the HMAC secret (SEQPULSE_HMAC_SECRET or secret: in the config file)');
    config.redactions.forEach(mask);
    where = { project: config.project, env: config.env };
    const code = await step(inputs, config);
    process.exitCode = code;
    return code;
  } catch (err) {
    const code = err instanceof SeqpulseError ? err.exitCode : ExitCode.Internal;
    const message = redactText(err instanceof SeqpulseError ? err.message : `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, [...masked]);
    const hint = err instanceof SeqpulseError && err.hint ? redactText(err.hint, [...masked]) : undefined;
    // Shortened: a message can quote an input (a 120,000-character deployment-id made an annotation as long).
    core.setFailed(escapeControls(shorten(`${message}${hint ? `\n${hint}` : ''}`, FAILURE_SHOWN), { keepNewlines: true }));
    // A step that failed before (or without) a verdict still says so where a workflow looks: outputs and the job summary.
    core.setOutput('verdict', 'none');
    core.setOutput('confidence', formatConfidence(0));
    core.setOutput('summary', forDisplay(firstProblem(message)));
    await writeSummary(renderFailureMarkdown({ message, hint, exitCode: code, ...where }));
    process.exitCode = code;
    return code;
  }
}

/**
 * An HMAC secret of 1 to 3 characters: guessed in moments, and impossible to hide in the log (the
 * runner would blank out that letter or pair wherever it appears). Refused before anything runs,
 * without a word of it.
 */
function refuseShortSecrets(secrets: readonly string[], where: string): void {
  const short = secrets.find((secret) => secret.length < MIN_TEXT_SECRET);
  if (short === undefined) return;
  throw new UsageError(
    `${where} is too short (${short.length} character${short.length === 1 ? '' : 's'}): an HMAC secret needs at least ${MIN_TEXT_SECRET}, and one this short cannot be masked in the log`,
    'Give the app and the repository secret a long random value, e.g. from `openssl rand -hex 32`.',
  );
}

/**
 * A failure in one line, for the summary output: a message that is a heading over a list
 * ("invalid configuration:" then one problem a line) keeps its first problem, and says how many more.
 */
function firstProblem(message: string): string {
  const [head = message, first, ...rest] = message.split('\n').map((line) => line.trim()).filter(Boolean);
  if (!head.endsWith(':') || first === undefined) return head;
  return `${head} ${first}${rest.length > 0 ? ` (and ${rest.length} more)` : ''}`;
}

/** The job summary, when the runner gives one; a summary that cannot be written never hides the step's own result. */
async function writeSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  try {
    await core.summary.addRaw(markdown).write();
  } catch (err) {
    core.warning(`job summary not written: ${forDisplay(err instanceof Error ? err.message : String(err))}`);
  }
}

async function step(inputs: ActionInputs, loaded: ResolvedConfig): Promise<number> {
  const logger = createLogger({
    format: loaded.logFormat,
    label: (level) => (level === 'warn' ? 'warning: ' : level === 'error' ? 'error: ' : ''),
    write: (line) => process.stderr.write(`${inertToRunner(line)}\n`),
  });
  for (const warning of loaded.warnings) core.warning(warning);
  const store = await openActionStore(loaded.store, loaded.storeTimeoutMs);
  await settleAbandoned(store);
  const interrupts = watchInterrupts();
  let source: MetricSource | undefined;
  let shared: SharedPeer | undefined;
  try {
    // `finish` collects with the settings `start` stored: the source, timeout and retries below are built from them, not from this step's inputs.
    const finishing = inputs.mode === 'finish' ? await prepareFinish(loaded, requireDeploymentId(inputs), inputs.result, store, (note, _run, level) => (level === 'warn' ? core.warning(note) : info(note))) : undefined;
    const config = finishing?.config ?? loaded;
    const sync = config.sync;
    shared = sync
      ? sharedPeer({
          open: () => openActionStore(sync, config.storeTimeoutMs),
          shown: redactUrl(sync),
          budgetMs: config.syncTimeoutMs,
          interrupts,
          unavailable: (err) => core.warning(`Shared store ${redactUrl(sync)} unavailable (${forDisplay(redactError(err, sync))}): deploys from other runners cannot be checked for overlap.`),
        })
      : undefined;
    const io: AppIO = {
      store,
      shared,
      source: () => (source ??= createSource(config, userAgent())),
      clock: systemClock,
      logger,
      progress: createProgress('lines', logger),
      interrupts,
      deployStdout: 'inherit',
    };
    const report = await cycle(inputs, config, io, finishing?.run);
    if (!report) return 0;
    await syncRun(io, config.sync, report.deployment_id);
    await conclude(report, inputs);
    return report.exit_code;
  } finally {
    interrupts.dispose();
    await source?.close();
    await shared?.close();
    await store.close();
  }
}

/** The cycle for the mode (`finishing`: the run a finish names); undefined after a successful `start` (no verdict yet). */
async function cycle(inputs: ActionInputs, config: ResolvedConfig, io: AppIO, finishing?: RunRecord): Promise<VerdictReport | undefined> {
  if (finishing) {
    const outcome = await finishRun(config, finishing, inputs.result, io);
    return outcome.kind === 'report' ? outcome.report : undefined;
  }
  if (inputs.mode === 'run') {
    requireCollection(config);
    await checkDeployCommand(inputs.argv, { shell: inputs.shell, shellHint: 'set `shell: true`' });
    return runCycle(config, inputs.argv, io);
  }
  requireCollection(config);
  const outcome = await startRun(config, io);
  if (outcome.kind === 'report') return outcome.report;
  core.setOutput('deployment-id', outcome.run.id);
  info(`PRE samples stored for ${outcome.run.id}: deploy, then run this action with mode: finish and deployment-id: ${outcome.run.id}`);
  await syncRun(io, config.sync, outcome.run.id);
  return undefined;
}

function requireDeploymentId(inputs: ActionInputs): string {
  if (inputs.deploymentId) return inputs.deploymentId;
  throw new UsageError('input deployment-id is required with mode: finish', 'Pass the deployment-id output of the start step, e.g. `deployment-id: ${{ steps.start.outputs.deployment-id }}`.');
}

/** Outputs, the report file, the job summary, annotations, GitHub statuses; then the step's result. */
async function conclude(report: VerdictReport, inputs: ActionInputs): Promise<void> {
  // What the log, the annotations and the summary output show: escaped and shortened (terminal.ts); the JSON file keeps all.
  const shown = displayableReport(report);
  const dir = process.env.RUNNER_TEMP ? join(process.env.RUNNER_TEMP, 'seqpulse') : join(process.cwd(), '.seqpulse', 'reports');
  mkdirSync(dir, { recursive: true });
  const reportPath = join(dir, `${report.deployment_id}.json`);
  writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  core.setOutput('verdict', report.verdict ?? 'none');
  core.setOutput('confidence', formatConfidence(report.confidence));
  core.setOutput('deployment-id', report.deployment_id);
  core.setOutput('summary', shown.summary);
  core.setOutput('report-json', reportPath);

  await writeSummary(renderMarkdown(report, { maxBytes: SUMMARY_BYTES }));
  const reasons = shown.details.slice(0, 3).join('\n');
  const title = `seqpulse ${shown.project}/${shown.env}`;
  const dryRun = report.dry_run ? ` (dry run: the step does not fail; it would exit ${report.dry_run.exit_code})` : '';
  if (report.verdict === 'rollback_recommended') core.error(`Rollback recommended${dryRun}: ${shown.summary}${reasons ? `\n${reasons}` : ''}`, { title });
  else if (report.verdict === 'attention') core.warning(`Attention${dryRun}: ${shown.summary}${reasons ? `\n${reasons}` : ''}`, { title });
  else if (report.verdict === 'ok') core.notice(`ok: ${shown.summary}`, { title });
  // No verdict, a failed deploy: the step fails, and the annotation is an error in words, not a status.
  else core.error(shown.summary, { title });

  if (inputs.githubToken && (inputs.commentOnPr || inputs.deploymentStatus)) {
    try {
      for (const line of await publish(report, { token: inputs.githubToken, comment: inputs.commentOnPr, status: inputs.deploymentStatus })) info(line);
    } catch (err) {
      core.warning(`GitHub comment/status not written: ${forDisplay(err instanceof Error ? err.message : String(err))} (the verdict stands)`);
    }
  } else if (inputs.commentOnPr || inputs.deploymentStatus) {
    core.warning('comment-on-pr / deployment-status need github-token (e.g. github-token: ${{ github.token }}): skipped');
  }
  // Without a verdict the summary says what happened ("No verdict: ...", "The deploy command failed ...").
  if (report.exit_code !== 0) core.setFailed(`seqpulse: ${report.verdict ? `${report.verdict}: ` : ''}${shown.summary}`);
}

/**
 * Runs nobody will conclude, settled in the store this step opened (the workspace file or the
 * team's Postgres), as every CLI command settles its own: by age only, since a runner cannot tell
 * whether another runner's process is alive. A store that cannot be read for this fails the step
 * like any store error, before anything is deployed.
 */
async function settleAbandoned(store: Store): Promise<void> {
  try {
    for (const reaped of await reapAbandoned(store, undefined, ownerAlive, Date.now())) core.warning(forDisplay(abandonedMessage(reaped)));
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** --sync for the Action: the run is complete here whatever happens to the push (within sync_timeout); a failure is a warning. */
async function syncRun(io: AppIO, target: string | undefined, runId: string): Promise<void> {
  if (!target || !io.shared) return;
  try {
    const counts = await io.shared.push(io.store, runId);
    if (counts.conflicts.length > 0) core.warning(forDisplay(conflictMessage(redactUrl(target), counts.conflicts), MAX_SENTENCE));
    else info(`Synced run ${runId} to ${redactUrl(target)} (${counts.samples} samples).`);
  } catch (err) {
    core.warning(`Could not sync run ${runId} to ${redactUrl(target)}: ${forDisplay(redactError(err, target))}. The verdict stands; push it later with \`seqpulse sync\` from the stored file.`);
  }
}
