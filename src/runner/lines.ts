/**
 * A child's output read line by line, for logs that must stay one JSON object per line: UTF-8
 * decoded across chunk boundaries (a broken sequence becomes U+FFFD), `\r\n` and `\n` both end a
 * line, and a line that never ends is cut every MAX_LINE characters, so a command writing without
 * newlines cannot grow our memory. Nor can one that writes faster than the lines' own destination
 * takes them: reading waits while that is full (`pace`).
 */
import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export const MAX_LINE = 16_384;

/** Reading at the pace of `sink`, where the lines end up written, while `on`. */
export interface Pace {
  sink: Writable;
  on: boolean;
}

/**
 * Calls `onLine` for each line of `stream`; resolves when the stream has ended (its last, unfinished
 * line given too). With `pace`, the stream is paused while the sink is full, so the child waits on
 * its own writes, as it would writing to the sink's pipe itself: read as fast as it came, the
 * output of a deploy that wrote faster than a pipe took the lines queued in memory without end (500
 * MB of it: 4 GB resident, then a crash on ENOBUFS, exit 1 with the run left unjudged).
 */
export function forwardLines(stream: Readable, onLine: (line: string) => void, pace?: Pace): Promise<void> {
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
  const waitForSink = () => {
    const sink = pace?.sink;
    // A sink that failed (its reader gone: EPIPE) is never drained again: nothing to wait for.
    if (!pace?.on || !sink?.writableNeedDrain || sink.errored || sink.destroyed) return;
    stream.pause();
    const go = () => {
      sink.off('drain', go).off('close', go);
      stream.resume();
    };
    sink.on('drain', go).on('close', go);
  };
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      take(decoder.write(chunk));
      waitForSink();
    });
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
