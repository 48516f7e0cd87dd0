/**
 * A child's output read line by line, for logs that must stay one JSON object per line: UTF-8
 * decoded across chunk boundaries (a broken sequence becomes U+FFFD), `\r\n` and `\n` both end a
 * line, and a line that never ends is cut every MAX_LINE characters, so a command writing without
 * newlines cannot grow our memory.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export const MAX_LINE = 16_384;

/** Calls `onLine` for each line of `stream`; resolves when the stream has ended (its last, unfinished line given too). */
export function forwardLines(stream: Readable, onLine: (line: string) => void): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const take = (text: string) => {
    pending += text;
    let start = 0;
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n', start)) {
      onLine(pending.slice(start, end > start && pending[end - 1] === '\r' ? end - 1 : end));
      start = end + 1;
    }
    for (; pending.length - start >= MAX_LINE; start += MAX_LINE) onLine(pending.slice(start, start + MAX_LINE));
    pending = pending.slice(start);
  };
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => take(decoder.write(chunk)));
    let ended = false;
    const finish = () => {
      if (ended) return;
      ended = true;
      take(decoder.end());
      if (pending.length > 0) onLine(pending);
      pending = '';
      resolve();
    };
    stream.once('end', finish);
    // A pipe torn down (the child killed mid-line, or never started) ends the lines as they are.
    stream.once('error', finish);
    stream.once('close', finish);
  });
}
