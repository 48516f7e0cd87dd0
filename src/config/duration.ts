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
