/** Property tests (fast-check) for what parses user input: durations, config layers, sample files. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { resolveConfig, type FlagValues } from '../../src/config/resolve.js';
import { ConfigError, SeqpulseError } from '../../src/errors.js';
import { MAX_FILE_SAMPLES, parseSampleText } from '../../src/sources/sample-file.js';

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

describe('durations', () => {
  it('n<unit> is n times the unit, with or without a space', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(...(Object.keys(UNITS) as (keyof typeof UNITS)[])), fc.boolean(), (n, unit, space) => {
      expect(parseDuration(`${n}${space ? ' ' : ''}${unit}`)).toEqual({ ok: true, ms: n * UNITS[unit] });
    }));
  });

  it('what formatDuration writes parses back to the same milliseconds (whole seconds, or under a second)', () => {
    fc.assert(fc.property(fc.oneof(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 1, max: 10_000_000 }).map((s) => s * 1000)), (ms) => {
      const text = formatDuration(ms);
      const parts = [...text.matchAll(/(\d+)(ms|h|m|s)/g)].reduce((sum, [, n, u]) => sum + Number(n) * UNITS[u as keyof typeof UNITS], 0);
      expect(parts).toBe(ms);
      if (/^\d+(ms|s|m|h)$/.test(text)) expect(parseDuration(text)).toEqual({ ok: true, ms });
    }));
  });

  it('anything else is a reason naming the input, never a throw', () => {
    fc.assert(fc.property(fc.string(), (text) => {
      const r = parseDuration(text);
      if (!r.ok) expect(r.reason).toContain(text.trim());
      else expect(r.ms).toBeGreaterThanOrEqual(0);
    }));
  });
});

describe('config layers', () => {
  const flag = fc.option(fc.oneof(fc.string(), fc.constantFrom('10s', '0', '-1', '1e9', 'never', 'rollback', 'postgres://x', 'http://a/b', 'true', '')), { nil: undefined });
  it('any flag and environment values give a config or a ConfigError naming the flag or variable, nothing else', () => {
    fc.assert(fc.property(
      fc.record({ interval: flag, window: flag, timeout: flag, retries: flag, preSamples: flag, failOn: flag, persist: flag, settle: flag, baseline: flag, historyRuns: flag, source: flag, preRange: flag }),
      fc.dictionary(fc.constantFrom('SEQPULSE_WINDOW', 'SEQPULSE_RETRIES', 'SEQPULSE_FAIL_ON', 'SEQPULSE_DRY_RUN', 'SEQPULSE_EARLY_EXIT', 'SEQPULSE_SQL_URL'), fc.string()),
      (flags, env) => {
        try {
          const config = resolveConfig({ flags: flags as FlagValues, env, defaultProject: 'p' });
          expect(config.windowMs).toBeGreaterThanOrEqual(config.intervalMs);
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          for (const issue of (err as ConfigError).issues) expect(issue.key).toMatch(/^(--[a-z-]+|SEQPULSE_[A-Z_]+|interval|timeout|window)$/);
        }
      },
    ));
  });
});

describe('sample files', () => {
  const metricValue = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.boolean(), fc.constant(null));
  const snapshot = fc.record({ metrics: fc.dictionary(fc.string({ minLength: 1 }), metricValue) }, { requiredKeys: ['metrics'] });

  it('a JSON array and JSON Lines of the same samples read back equal', () => {
    fc.assert(fc.property(fc.array(snapshot, { minLength: 2, maxLength: 20 }), (samples) => {
      const expected = JSON.parse(JSON.stringify(samples));
      expect(parseSampleText('a.json', JSON.stringify(samples))).toEqual(expected);
      expect(parseSampleText('a.jsonl', samples.map((s) => JSON.stringify(s)).join('\n'))).toEqual(expected);
    }));
  });

  it('any text is samples or a user error naming the file, never a crash', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.json(), fc.array(fc.json()).map((a) => a.join('\n'))), (text) => {
      try {
        for (const s of parseSampleText('in.json', text)) expect(typeof s.metrics).toBe('object');
      } catch (err) {
        expect(err).toBeInstanceOf(SeqpulseError);
        expect((err as Error).message).toMatch(/^in\.json/);
      }
    }));
  });

  it('more samples than a sample file holds is a clear error, before they are built (JSON Lines: before they are parsed)', () => {
    const line = '{"metrics":{"e":1}}';
    const many = MAX_FILE_SAMPLES + 1;
    expect(() => parseSampleText('big.jsonl', Array(many).fill(line).join('\n'))).toThrow(`big.jsonl: ${many.toLocaleString('en-US')} lines, one sample each`);
    expect(() => parseSampleText('big.json', `[${Array(many).fill(line).join(',')}]`)).toThrow(`big.json: ${many.toLocaleString('en-US')} samples`);
    expect(parseSampleText('ok.jsonl', Array(MAX_FILE_SAMPLES).fill(line).join('\n'))).toHaveLength(MAX_FILE_SAMPLES);
  });

  it('text that is not JSON is not quoted back (a mistaken --pre .env holds secrets): what is wrong, and where when the parser says', () => {
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9]{12,40}$/), fc.boolean(), (secret, lines) => {
      const text = lines ? `{"metrics": {"a": 1}}\n{"metrics": {}, "k": ${secret}}\n` : `{"metrics": {}, "k": ${secret}}`;
      expect(() => parseSampleText('in.json', text)).toThrow(SeqpulseError);
      try {
        parseSampleText('in.json', text);
      } catch (err) {
        // Not the secret, nor the first characters of it V8 quotes from a long text.
        expect((err as Error).message).not.toContain(secret.slice(0, 4));
      }
    }));
    expect(() => parseSampleText('in.json', 'NaN')).toThrow('in.json: not valid JSON (not a JSON value)');
    expect(() => parseSampleText('in.json', '\n  {"metrics": {"a": 1}} x')).toThrow('in.json: not valid JSON (Unexpected non-whitespace character after JSON at line 2, column 25)');
  });
});
