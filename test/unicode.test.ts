import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { cutTo, utf8Body, utf8Text, wellFormed } from '../src/unicode.js';

describe('cutTo', () => {
  it('leaves a text that fits as it is', () => {
    expect(cutTo('ok: no regression', 140)).toBe('ok: no regression');
    expect(cutTo('x'.repeat(140), 140)).toBe('x'.repeat(140));
  });

  it('cuts to the length with an ellipsis, never through a surrogate pair', () => {
    const cut = cutTo('x'.repeat(150), 140);
    expect(cut).toHaveLength(140);
    expect(cut.endsWith('…')).toBe(true);
    // An emoji (two UTF-16 units) across the cut: left out whole, not halved into a lone surrogate.
    const emoji = cutTo(`${'x'.repeat(138)}🚀🚀`, 140);
    expect(emoji).toBe(`${'x'.repeat(138)}…`);
    expect(wellFormed(emoji)).toBe(emoji);
    expect(cutTo(`${'x'.repeat(137)}🚀🚀`, 140)).toBe(`${'x'.repeat(137)}🚀…`);
  });
});

describe('utf8Text and utf8Body', () => {
  it('name the first byte that is not UTF-8, after U+FFFD characters the text really holds', () => {
    const bytes = Buffer.concat([Buffer.from('ok\n\uFFFDé\uFFFD'), Buffer.from([0xe9]), Buffer.from('\uFFFD')]);
    expect(utf8Text(bytes)).toEqual({ line: 2, reason: 'not UTF-8 text: byte 0xe9 at column 4 (byte offset 11 of the file)' });
    expect(utf8Body(bytes)).toEqual({ reason: 'line 2: not UTF-8 text: byte 0xe9 at column 4 (byte offset 11 of the body)' });
    expect(utf8Body(Buffer.from('\uFEFF{"metrics": {}}'))).toEqual({ text: '{"metrics": {}}' });
    // Compressed though nothing asked for it: said as such, not as a byte 0x8b that is not UTF-8.
    expect(utf8Body(gzipSync('{"metrics": {}}'))).toEqual({ reason: 'the body is gzip-compressed, not text (seqpulse asks for no compression): serve it uncompressed' });
  });

  it('find the byte in linear time: a peer may send a megabyte of U+FFFD before it', () => {
    // 350,000 U+FFFD: over a minute of a blocked event loop when each one's offset was counted from the start of the line.
    const bytes = Buffer.concat([Buffer.from('\uFFFD'.repeat(350_000)), Buffer.from([0xe9])]);
    const started = performance.now();
    expect(utf8Body(bytes)).toEqual({ reason: 'line 1: not UTF-8 text: byte 0xe9 at column 350001 (byte offset 1050000 of the body)' });
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
