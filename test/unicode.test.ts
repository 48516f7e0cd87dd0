import { describe, expect, it } from 'vitest';
import { cutTo, wellFormed } from '../src/unicode.js';

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
