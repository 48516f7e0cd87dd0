/** Verdict + settings -> process exit code (SPEC §7). Pure, so `verdict <id>` and `run` agree. */
import { ExitCode } from '../errors.js';
import type { RunStatus, StopSignal, Verdict } from './types.js';

export type FailOn = 'rollback' | 'attention' | 'never';

export function exitCodeFor(outcome: { status: RunStatus; verdict: Verdict | null; interruptedBy?: StopSignal | null }, failOn: FailOn): number {
  if (outcome.status === 'interrupted' || outcome.status === 'abandoned') return outcome.interruptedBy === 'SIGTERM' ? ExitCode.Sigterm : outcome.interruptedBy === 'SIGHUP' ? ExitCode.Sighup : ExitCode.Sigint;
  if (outcome.status === 'deploy_failed') return ExitCode.DeployFailed;
  if (outcome.verdict === null) return ExitCode.NoVerdict;
  if (failOn === 'never') return ExitCode.Ok;
  if (outcome.verdict === 'rollback_recommended') return ExitCode.Regression;
  if (outcome.verdict === 'attention' && failOn === 'attention') return ExitCode.Regression;
  return ExitCode.Ok;
}
