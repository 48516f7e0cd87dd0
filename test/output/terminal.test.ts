/** The one escaping function of terminal.ts, and what it must and must not touch. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayable, escapeControls, forDisplay, forTerminal, inertToRunner, MAX_SHOWN } from '../../src/output/terminal.js';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('escapeControls / forDisplay', () => {
  it('shows escapes, carriage returns, NUL, C1, bidi overrides and lone surrogates as escapes', () => {
    expect(escapeControls('a\x1b[2J\x1b]0;t\x07\r\0\u009b\u202e\ud800b\n')).toBe('a\\x1b[2J\\x1b]0;t\\x07\\r\\0\\x9b\\u202e\\ud800b\\n');
    expect(escapeControls('line\nnext', { keepNewlines: true })).toBe('line\nnext');
    expect(escapeControls('plain ✔ é 😀')).toBe('plain ✔ é 😀');
  });

  it('for any text: nothing raw is left, and the length is bounded', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (text) => {
      const shown = forDisplay(text);
      expect(shown).not.toMatch(RAW);
      expect(shown.length).toBeLessThanOrEqual(MAX_SHOWN);
    }));
  });

  it('displayable escapes keys and values deep down, and a __proto__ key stays a key', () => {
    const value = displayable(JSON.parse('{"m": {"__proto__": {"x": "\\u001b[31m"}, "k\\r": ["\\u0000"]}}') as { m: Record<string, unknown> });
    expect(Object.keys(value.m)).toEqual(['__proto__', 'k\\r']);
    expect(value.m['k\\r']).toEqual(['\\0']);
    expect((value.m.__proto__ as { x: string }).x).toBe('\\x1b[31m');
  });
});

describe('forTerminal', () => {
  it('keeps our colours when styled, escapes every other control; JSON stays valid and equal', () => {
    expect(forTerminal('\x1b[31mred\x1b[39m \x1b]0;t\x07', true)).toBe('\x1b[31mred\x1b[39m \\u001b]0;t\\u0007');
    expect(forTerminal('\x1b[31mred', false)).toBe('\\u001b[31mred');
    fc.assert(fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, text) => {
      const json = JSON.stringify({ value, text }, null, 2);
      const out = forTerminal(json, false);
      expect(out.replaceAll('\n', '')).not.toMatch(RAW);
      expect(JSON.parse(out)).toEqual(JSON.parse(json));
    }));
  });
});

describe('inertToRunner', () => {
  it('leaves no workflow command a GitHub runner would obey: ::name:: at the start (after spaces), ##[name] anywhere; the rest as it was', () => {
    expect(inertToRunner('::add-mask::e')).toBe('\\u003a:add-mask::e');
    expect(inertToRunner(' \t::stop-commands::x')).toBe(' \t\\u003a:stop-commands::x');
    expect(inertToRunner('HTTP 302: a redirect to /x##[add-mask]e and ##[warning]w')).toBe('HTTP 302: a redirect to /x##\\u005badd-mask]e and ##\\u005bwarning]w');
    expect(inertToRunner('PRE sample 1/3 · a::b # [c] ##')).toBe('PRE sample 1/3 · a::b # [c] ##');
    // Every line of a text written at once (the CLI's stdout and stderr under GitHub Actions).
    expect(inertToRunner('a\n::warning::x\n  ::add-mask::y\nb::c')).toBe('a\n\\u003a:warning::x\n  \\u003a:add-mask::y\nb::c');
    // In a JSON line the escape is JSON's own: the same text parsed back.
    expect(JSON.parse(inertToRunner(JSON.stringify({ message: '##[add-mask]e' })))).toEqual({ message: '##[add-mask]e' });
  });
});
