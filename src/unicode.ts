/**
 * Text from outside may be any sequence of UTF-16 code units: JSON's `\ud800` escape gives a lone
 * surrogate, which no UTF-8 output can carry (written out, it silently becomes U+FFFD; Postgres
 * refuses it in jsonb). Pure.
 */

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The text with every lone surrogate replaced by U+FFFD, as a UTF-8 encoder would do. */
export function wellFormed(text: string): string {
  LONE_SURROGATE.lastIndex = 0;
  return LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\uFFFD') : text;
}

/** The text without a leading byte order mark (which editors on Windows, and some servers, put before JSON). */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
