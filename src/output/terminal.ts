/**
 * What reaches a terminal (or a CI log, a Markdown or HTML report) is made safe here, and only
 * here. Text from outside (metric names and values an app reports, a server's error text, a run's
 * project, env and command read from a shared store) may carry control characters: an escape
 * sequence that clears the screen, sets the window title, hides text or moves the cursor; a
 * carriage return that overwrites a line (a forged verdict); a NUL; a bidi override that shows
 * text in another order than it reads. They are shown escaped (`\x1b`, `\r`, `\u202e`), never sent.
 * Long values are shortened in human output; JSON output keeps the full text (JSON.stringify
 * escapes control characters, and sources made the text well-formed).
 *
 * Two doors, one escaping function:
 * - `displayable(value)`: everything a human renderer is given from outside, strings and keys,
 *   escaped and shortened before it is laid out (so even colour codes from outside are shown, not
 *   obeyed);
 * - `forTerminal(text, styled)`: every write to stdout, stderr or a log, as a last line: anything
 *   but a newline (and, when colours are on, our own colour codes) that is still a control
 *   character is escaped, as `\uXXXX` (which keeps --json output valid and equal).
 */

/** Longest string shown in human output; JSON keeps everything. */
export const MAX_SHOWN = 200;
/**
 * Longest sentence of seqpulse's own shown whole (a verdict's summary, details, hints): they quote
 * metric names from outside, but cutting them at MAX_SHOWN would cut their own words (the
 * "estimated" of a count), so they get more room; still a bound.
 */
export const MAX_SENTENCE = 1000;
/** Longest metric name in a table or a series line. */
export const NAME_WIDTH = 60;

/**
 * C0 controls (newline too), DEL, C1 controls; bidi embeddings, overrides, isolates and marks; the
 * line and paragraph separators; zero-width characters and the BOM; lone surrogates.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is what this is for
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const UNSAFE_BUT_NEWLINE = new RegExp(UNSAFE.source.replace('\\u0000-\\u001f', '\\u0000-\\u0009\\u000b-\\u001f'), 'g');
/** Our own colour codes (SGR), kept when colours are on. */
const STYLED = new RegExp(`(\\x1b\\[[0-9;]*m)|${UNSAFE_BUT_NEWLINE.source}`, 'g');

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0' };

function escapeOne(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The text with every control, format or lone-surrogate character shown as an escape. */
export function escapeControls(text: string, opts: { keepNewlines?: boolean } = {}): string {
  const pattern = opts.keepNewlines ? UNSAFE_BUT_NEWLINE : UNSAFE;
  pattern.lastIndex = 0;
  return pattern.test(text) ? text.replace(pattern, escapeOne) : text;
}

/** At most `max` characters (whole code points), the cut said with how much was left out. */
export function shorten(text: string, max: number = MAX_SHOWN): string {
  if (text.length <= max) return text;
  const rest = (end: number) => `… (${(text.length - end).toLocaleString('en-US')} more characters)`;
  let end = Math.max(1, max - rest(0).length);
  // Never split a surrogate pair.
  if (/[\ud800-\udbff]/.test(text[end - 1]!)) end--;
  return `${text.slice(0, end)}${rest(end)}`;
}

/** One value from outside, as a human line may show it. */
export function forDisplay(text: string, max: number = MAX_SHOWN): string {
  return shorten(escapeControls(text), max);
}

/**
 * A copy of `value` in which every string and every object key is `forDisplay`ed: what a human
 * renderer is given when any of it came from outside (a report, a run, checks, samples).
 */
export function displayable<T>(value: T, max: number = MAX_SHOWN): T {
  return clean(value, 0, max) as T;
}

/** A verdict as human renderers lay it out: like `displayable`, its own sentences (summary, details, hints) bounded at MAX_SENTENCE. */
export function displayableReport<T extends { summary: string; details: string[]; hints: { message: string }[] }>(report: T): T {
  const shown = displayable(report);
  return { ...shown, summary: forDisplay(report.summary, MAX_SENTENCE), details: report.details.map((d) => forDisplay(d, MAX_SENTENCE)), hints: shown.hints.map((h, i) => ({ ...h, message: forDisplay(report.hints[i]!.message, MAX_SENTENCE) })) };
}

function clean(value: unknown, depth: number, max: number): unknown {
  if (typeof value === 'string') return forDisplay(value, max);
  if (typeof value !== 'object' || value === null || depth > 32) return value;
  if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1, max));
  // No prototype: a key from outside may be `__proto__`.
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) out[forDisplay(k, max)] = clean(v, depth + 1, max);
  return out;
}

/**
 * The last line before a write: control characters left in `text` are escaped, except newlines
 * and, when `styled` (colours on), the colour codes seqpulse itself writes; with `mentionBreaks`
 * (a Markdown report), the word joiner Markdown puts after an @ too.
 */
export function forTerminal(text: string, styled: boolean, opts: { mentionBreaks?: boolean } = {}): string {
  // `\uXXXX` here: the text may be JSON (--json), where that is a valid escape of the same character.
  const pattern = styled ? STYLED : UNSAFE_BUT_NEWLINE;
  pattern.lastIndex = 0;
  // (match, [sgr,] offset, text): STYLED has a group, UNSAFE_BUT_NEWLINE none.
  return text.replace(pattern, (match: string, ...rest: unknown[]) => {
    if (typeof rest[0] === 'string') return match;
    // Markdown's own word joiner after an @ (markdown.ts: no mention): text from outside reaches the
    // Markdown escaped already, so one here is the renderer's, and written as `\u2060` it showed.
    const offset = rest.find((r): r is number => typeof r === 'number') ?? 0;
    if (opts.mentionBreaks && match === MENTION_BREAK && text[offset - 1] === '@') return match;
    return `\\u${match.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/**
 * A GitHub Actions runner reads every line a step writes, stdout and stderr, for workflow commands:
 * `::name::` at the start of a line (after any spaces), and the older `##[name]` anywhere in it. In
 * a line of seqpulse's that quotes text from outside (a redirect's target, the GitHub API's answer)
 * they would be obeyed: `##[add-mask]` blanking out the log, `##[stop-commands]` silencing the
 * verdict's annotations, a forged `::error file=...`. Shown escaped instead, like a control
 * character, as `\u005b` / `\u003a` (valid in a JSON line too). `text` is escaped already; each of
 * its lines is made inert.
 */
export function inertToRunner(text: string): string {
  return text.replace(/##\[/g, '##\\u005b').replace(/^(\s*)::/gm, '$1\\u003a:');
}

/** What Markdown puts after an @ that would mention a user or a team (markdown.ts). */
export const MENTION_BREAK = '\u2060';
