/**
 * Where `seqpulse run`'s options end and the deploy command begins. commander stops reading
 * seqpulse's options at the command's first word (`passThroughOptions`), so everything from there
 * on is the command's; this refuses the forms where that is not what the user meant, before
 * anything runs: an option after the first word without `--` (`seqpulse run ./deploy.sh --env
 * prod`: seqpulse's --env, or the script's?), words before `--` (`seqpulse run foo -- ./deploy.sh`),
 * and a duration written as two words (`--window 5 minutes ./deploy.sh`: a bare number is seconds,
 * and `minutes` would be run).
 */
import { UsageError } from '../errors.js';
import { MASK, redactUserinfo } from '../redact.js';
import { secretFlag } from './given-secrets.js';

const UNITS: [RegExp, string][] = [
  [/^(ms|millis?|milliseconds?)$/i, 'ms'],
  [/^(s|secs?|seconds?)$/i, 's'],
  [/^(m|mins?|minutes?)$/i, 'm'],
  [/^(h|hrs?|hours?)$/i, 'h'],
  [/^(d|days?)$/i, 'd'],
];

/** `run`'s options that take a duration. */
const DURATION_OPTIONS = new Set(['--interval', '--window', '--timeout', '--settle', '--pre-range', '--store-timeout', '--sync-timeout', '--kill-grace']);

/**
 * Words of the command line as these errors quote them: the value of a secret option and the
 * credentials of a URL masked. A flag missing its value (`--secret --endpoint URL --secret s3cr3t
 * -- true`: the first --secret takes `--endpoint`) leaves the real --secret and its value among the
 * words quoted back.
 */
function shown(words: readonly string[]): string {
  return words
    .map((word, i) => {
      const joined = /^(--[a-z-]+)=/.exec(word);
      if (joined && secretFlag(joined[1])) return `${joined[1]}=${MASK}`;
      if (secretFlag(words[i - 1])) return MASK;
      return redactUserinfo(word);
    })
    .join(' ');
}

const FIX = 'put the deploy command after --: seqpulse run [seqpulse options] -- <command> [its arguments]';

/**
 * `raw`: the arguments as typed, from the command name on; `command`: the words commander gave the
 * deploy command (the tail of `raw`, from its first word).
 */
export function checkDeployArgs(raw: readonly string[], command: readonly string[]): void {
  const at = raw.length - command.length;
  const before = raw[at - 1];
  // Everything after a `--` that came before the first word is the deploy command's own.
  if (before === '--' || command.length === 0) return;
  const [first, ...rest] = command as [string, ...string[]];
  const unit = UNITS.find(([re]) => re.test(first))?.[1];
  const number = unit ? bareDuration(raw[at - 2], before) : undefined;
  if (unit && number) {
    throw new UsageError(
      `"${number.typed} ${first}": a duration is one word, so "${first}" would be run as the deploy command`,
      `Write ${number.typed}${unit} (a bare number is seconds), and ${FIX}.`,
    );
  }
  const dashes = rest.indexOf('--');
  if (dashes >= 0) {
    const words = shown(command.slice(0, dashes + 1));
    throw new UsageError(`"${words}" comes before --, so it would be run as part of the deploy command`, `Give seqpulse's options before --, and ${FIX}.`);
  }
  const misplaced = rest.find((word) => word.startsWith('-') && word !== '-');
  if (misplaced) {
    throw new UsageError(
      `${shown([misplaced])} comes after the deploy command's first word (${shown([first])}) without --: it is not clear whether it is seqpulse's or the command's`,
      `${FIX.charAt(0).toUpperCase()}${FIX.slice(1)}; e.g. seqpulse run -- ${shown(command)} (seqpulse's own options go before --).`,
    );
  }
}

/** A duration option given a bare number, as `--window 5` or `--window=5`, ending right before the deploy command's first word. */
function bareDuration(option: string | undefined, last: string | undefined): { typed: string } | undefined {
  if (last === undefined) return undefined;
  const joined = /^(--[a-z-]+)=(\d+(?:\.\d+)?)$/.exec(last);
  if (joined && DURATION_OPTIONS.has(joined[1]!)) return { typed: last };
  if (option !== undefined && DURATION_OPTIONS.has(option) && /^\d+(\.\d+)?$/.test(last)) return { typed: `${option} ${last}` };
  return undefined;
}
