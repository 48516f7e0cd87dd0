/**
 * Durations as in SPEC §3: `500ms`, `10s`, `15m`, `1h`; a bare number is seconds. Days (`30d`)
 * too, for retention and history filters.
 * Returns milliseconds, or an error message saying what was wrong.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;

export function parseDuration(input: string | number): { ok: true; ms: number } | { ok: false; reason: string } {
  const text = String(input).trim();
  const match = DURATION.exec(text);
  if (!match) {
    return { ok: false, reason: `"${text}" is not a duration (use e.g. 500ms, 10s, 15m, 1h, 30d, or a number of seconds)` };
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] ?? 's']!;
  if (!Number.isFinite(ms)) return { ok: false, reason: `"${text}" is too large` };
  return { ok: true, ms: Math.round(ms) };
}

/**
 * Milliseconds the way a person writes them, one style everywhere (messages, reports, `show`):
 * `500ms`, `1.5s`, `20s`, `5m`, `1m30s`, `2h`. Under 10 s a fraction of a second is kept (one
 * decimal); from there on whole seconds.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (Math.abs(ms) < 1000) return `${Math.round(ms)}ms`;
  if (ms < 10_000 && ms % 1000 !== 0) return `${Number((ms / 1000).toFixed(1))}s`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}

/**
 * The moment `ms` before `now`, as ISO 8601 (`--since 7d`, `--older-than 30d`). A duration longer
 * than the clock has run (99999999999d) reaches back to its start, not past what a Date can hold.
 */
export function isoBefore(ms: number, now = Date.now()): string {
  return new Date(Math.max(0, now - ms)).toISOString();
}

/**
 * A date, or a date and time with an optional zone, in ISO 8601's extended form (2026-01-18T12:15:00Z)
 * or its basic form (20260118T121500Z): what Date.parse also reads, without the rest of what it reads
 * ("1" is the year 2001, "March 7" a date), which would set the interval between samples.
 */
const ISO_EXTENDED = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(?:(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?:\d{2})?)?)?$/i;

/**
 * The timestamp in the extended form Date.parse reads, or undefined when it is no ISO 8601 date. The
 * basic form, a decimal comma, a zone of hours alone (+01) or without its colon are ISO 8601 too,
 * and Date.parse reads none of them reliably: each is written out as the extended form.
 */
export function isoTimestamp(text: string): string | undefined {
  const parts = ISO_EXTENDED.exec(text) ?? ISO_BASIC.exec(text);
  if (!parts) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = parts;
  // Date.parse rolls 2026-02-30 over into March: a day the month does not have is no date.
  // (setUTCFullYear, not Date.UTC: that one reads the years 0-99 as 1900-1999, where 1900 has no 29 February.)
  const calendar = new Date(0);
  calendar.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  if (calendar.getUTCDate() !== Number(day)) return undefined;
  let out = `${year}-${month}-${day}`;
  if (hour !== undefined) {
    out += `T${hour}:${minute}${second !== undefined ? `:${second}` : ''}${fraction !== undefined ? `.${fraction}` : ''}`;
    if (zone !== undefined) out += zone.toUpperCase() === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.length > 3 ? zone.slice(-2) : '00'}`;
  }
  return Number.isNaN(Date.parse(out)) ? undefined : out;
}
