/**
 * Text from outside may be any sequence of UTF-16 code units: JSON's `\ud800` escape gives a lone
 * surrogate, which no UTF-8 output can carry (written out, it silently becomes U+FFFD; Postgres
 * refuses it in jsonb). And a file may not be UTF-8 at all. Pure.
 */
import { isUtf8 } from 'node:buffer';

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The text with every lone surrogate replaced by U+FFFD, as a UTF-8 encoder would do. */
export function wellFormed(text: string): string {
  LONE_SURROGATE.lastIndex = 0;
  return LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\uFFFD') : text;
}

/** At most `max` UTF-16 units of the text, with an ellipsis where it was cut, and never half a surrogate pair. */
export function cutTo(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (/[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
  return `${text.slice(0, end)}…`;
}

/** The text's length in UTF-8 bytes (a lone surrogate counts as the 3 bytes of the U+FFFD it is written as). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The text without a leading byte order mark (which editors on Windows, and some servers, put before JSON). */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * A file's bytes as text, or where they are not UTF-8 (a Latin-1 `café`): decoding would turn the
 * byte into U+FFFD, and the file would silently hold another text than the one written. `line` is
 * 1-based, and absent only if no position could be found; `reason` says the byte, its column and
 * its byte offset in the file (`of`: what the bytes are, as the reason names them).
 */
export function utf8Text(bytes: Buffer, of = 'the file'): { text: string } | { line?: number; reason: string } {
  if (isUtf8(bytes)) return { text: bytes.toString('utf8') };
  // A newline byte is never part of a multi-byte character: each line is checked on its own.
  for (let line = 1, start = 0; start <= bytes.length; line++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    const lineBytes = bytes.subarray(start, end);
    const at = isUtf8(lineBytes) ? undefined : firstInvalid(lineBytes);
    if (at) return { line, reason: `not UTF-8 text: byte 0x${lineBytes[at.byte]!.toString(16).padStart(2, '0')} at column ${at.column} (byte offset ${start + at.byte} of ${of})` };
    start = end + 1;
  }
  return { reason: 'not UTF-8 text' };
}

/** Where the first byte that is not UTF-8 is: the first U+FFFD the decoder made that the file did not hold. */
function firstInvalid(lineBytes: Buffer): { byte: number; column: number } | undefined {
  const decoded = lineBytes.toString('utf8');
  // Everything before the first invalid byte decoded as itself: its length in bytes is the offset.
  // Counted on from the U+FFFD before, not from the start: a line of a million U+FFFD the peer did
  // send, then one bad byte, took minutes of a blocked event loop counted from the start each time.
  let byte = 0;
  let from = 0;
  for (let i = decoded.indexOf('\ufffd'); i !== -1; i = decoded.indexOf('\ufffd', i + 1)) {
    byte += Buffer.byteLength(decoded.slice(from, i));
    from = i;
    if (!(lineBytes[byte] === 0xef && lineBytes[byte + 1] === 0xbf && lineBytes[byte + 2] === 0xbd)) return { byte, column: [...decoded.slice(0, i)].length + 1 };
  }
  return undefined;
}

/**
 * What a peer answered (an endpoint's body, a `/metrics` page, a command's output) as text without
 * a leading byte order mark, or why it is not UTF-8 text, saying where. JSON is UTF-8 (RFC 8259) and
 * so is the exposition format: decoded anyway, a Latin-1 `café` became `caf\uFFFD`, a metric name or
 * label value no one wrote, stored and judged as if the peer had sent it.
 */
export function utf8Body(bytes: Buffer, of = 'the body'): { text: string } | { reason: string } {
  // gzip's magic number: a server (or a proxy) compressing what no request asked it to compress.
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return { reason: `${of} is gzip-compressed, not text (seqpulse asks for no compression): serve it uncompressed` };
  const decoded = utf8Text(bytes, of);
  if ('text' in decoded) return { text: withoutBom(decoded.text) };
  return { reason: decoded.line === undefined ? decoded.reason : `line ${decoded.line}: ${decoded.reason}` };
}
