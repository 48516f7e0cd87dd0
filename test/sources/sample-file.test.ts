import { describe, expect, it } from 'vitest';
import { isoTimestamp } from '../../src/config/duration.js';
import { intervalOf } from '../../src/sources/sample-file.js';

describe('sample timestamps (ISO 8601)', () => {
  it('the basic form, a decimal comma and zones without a colon or minutes name the same instants as the extended form', () => {
    const written = ['20260118T120000Z', '2026-01-18T13:01:00,0+01', '20260118T110200-0100', '2026-01-18 12:03:00.000z', '20260118T1204Z'];
    const stamps = written.map(isoTimestamp);
    expect(stamps).toEqual(['2026-01-18T12:00:00Z', '2026-01-18T13:01:00.0+01:00', '2026-01-18T11:02:00-01:00', '2026-01-18T12:03:00.000Z', '2026-01-18T12:04Z']);
    expect(stamps.map((s) => new Date(s!).toISOString())).toEqual([0, 1, 2, 3, 4].map((i) => `2026-01-18T12:0${i}:00.000Z`));
    expect(intervalOf(stamps.map((timestamp) => ({ timestamp: timestamp!, metrics: {} })))).toBe(60_000);
  });

  it('what Date.parse reads but is no ISO 8601 date, or no day of the calendar, is refused', () => {
    for (const text of ['1', 'March 7', '2026-1-18', '2026-01-18T12', '2026-13-01', '2026-02-30', '2026-04-31T00:00:00Z', '2026-01-18T25:00:00Z', '20260118T121500+1', '2026-01-18T12:00:00Zjunk']) {
      expect(isoTimestamp(text), text).toBeUndefined();
    }
    expect(isoTimestamp('2024-02-29')).toBe('2024-02-29');
    // The year 0 of ISO 8601 is a leap year (Date.UTC would have read it as 1900, which is not).
    expect(isoTimestamp('0000-02-29')).toBe('0000-02-29');
  });
});
