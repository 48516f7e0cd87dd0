/**
 * A nesting limit for JSON that comes from outside (an app's `/ds-metrics` body, a command's
 * stdout). A metrics document is two levels deep; nothing legitimate comes near the limit. A body
 * nested 100 000 levels deep parses (slowly: tens of ms of a blocked event loop, when every other
 * request's timer is waiting), and then cannot be stored: JSON.stringify overflows the stack on it.
 * So such bodies are refused before they are parsed.
 */

/** Deepest nesting of objects and arrays accepted in a metrics document. */
export const MAX_JSON_DEPTH = 64;

/** True when `json` opens more than `max` objects/arrays at once. Linear, no allocation; strings are skipped. */
export function jsonNestingExceeds(json: Buffer | string, max: number = MAX_JSON_DEPTH): boolean {
  const bytes = typeof json === 'string' ? Buffer.from(json) : json;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next byte is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}
