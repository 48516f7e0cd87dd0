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

/** Renders milliseconds the way a person would write them (90000 -> "1m30s"). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}
