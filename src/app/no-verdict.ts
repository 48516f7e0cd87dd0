/** Why a stored run has no verdict, and what to do about it: one wording for `finish`, `verdict` and `report`. */
import { formatDuration } from '../config/duration.js';
import { CONCLUDED_STATUSES, type RunRecord } from '../store/types.js';
import { LEFT_BEHIND_MS, QUIET_MS } from './abandoned.js';

export interface NoVerdict {
  /** Completes "run <id> ...". */
  reason: string;
  hint: string;
}

export function whyNoVerdict(run: RunRecord): NoVerdict {
  const show = `\`seqpulse show ${run.id}\``;
  const quiet = `${QUIET_MS / 3_600_000} hours`;
  if (run.status === 'started' && run.command === null) {
    return { reason: 'has no verdict yet: it waits for `finish`', hint: `Finish it with \`seqpulse finish ${run.id}\` once the deploy is done (a start not finished within ${quiet} is marked abandoned).` };
  }
  if (run.status === 'abandoned') {
    return {
      reason: `was abandoned: the process observing it died (killed or crashed) before a verdict, or nothing was heard of it for ${quiet} past its planned end`,
      hint: `Its samples are kept (${show}); for a verdict, start a new run with \`seqpulse start\` and finish it.`,
    };
  }
  if ((CONCLUDED_STATUSES as readonly string[]).includes(run.status)) {
    return {
      reason: `was left ${run.status} without a verdict by an older seqpulse, cut off between writing the two`,
      hint: `The next command on its machine marks it abandoned (any command does ${formatDuration(LEFT_BEHIND_MS)} after it ended); its samples are kept (${show}). For a verdict, start a new run.`,
    };
  }
  return {
    reason: `has no verdict yet: it is ${run.status}`,
    hint: `The command observing it is still at work, or was cut off (then the next command on its machine marks it abandoned, and any command does once nothing has been heard of it for ${quiet} past its planned end). Look at it with ${show}.`,
  };
}
