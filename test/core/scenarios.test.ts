/**
 * The labeled scenario suite (bench/scenarios.js, seeded): per family, what the judge must say.
 * `npm run bench:verdicts` prints the same suite side by side with the reference judges.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/core/analyze.js';
import { DEFAULT_RULES } from '../../src/core/rules.js';
// @ts-expect-error: plain JS shared with the benchmark, no declarations
import { FAMILIES, scenarios } from '../../bench/scenarios.js';

interface Scenario { pre: never[]; post: never[]; intervalMs: number }
interface Family { name: string; expected: string }

const PER_FAMILY = 40;

describe.each(FAMILIES as Family[])('scenario family $name (expected $expected)', (family) => {
  const verdicts = (scenarios(family, PER_FAMILY, 7) as Scenario[]).map((s) => analyze({ pre: s.pre, post: s.post, rules: DEFAULT_RULES, intervalMs: s.intervalMs }).verdict);
  const count = (v: string) => verdicts.filter((x) => x === v).length;

  if (family.expected === 'ok') {
    it('never a false rollback, at most 10% attention', () => {
      expect(count('rollback_recommended')).toBe(0);
      expect(count('ok')).toBeGreaterThanOrEqual(PER_FAMILY * 0.9);
    });
  } else if (family.expected === 'rollback_recommended') {
    it('caught as rollback_recommended at least 95% of the time, never ok', () => {
      expect(count('rollback_recommended')).toBeGreaterThanOrEqual(PER_FAMILY * 0.95);
      expect(count('ok')).toBe(0);
    });
  } else {
    it('flagged (attention or more) every time, never ok', () => {
      expect(count('ok')).toBe(0);
    });
  }
});
