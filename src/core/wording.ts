/** The words of a verdict: `details` lines in the SPEC §6 wording and number formatting. Pure. */
import type { MetricResult } from './types.js';

export function formatNumber(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-4) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

export function formatPct(pct: number): string {
  return `${pct > 0 ? '+' : ''}${Number(pct.toFixed(1))}%`;
}

/** One line per metric worth mentioning. */
export function detailFor(m: MetricResult): string | undefined {
  switch (m.status) {
    case 'no_data':
      return `${m.name}: no data after the deploy (${m.samples.pre} samples before)`;
    case 'no_baseline':
      return `${m.name}: no baseline before the deploy (current: ${formatNumber(m.current ?? 0)})`;
    case 'ok':
      return undefined;
    default: {
      const suffix = m.status === 'regression' ? '' : m.status === 'warning' ? ' — approaching the threshold' : ' — improved';
      if (m.change_pct === null) {
        return `${m.name} rose from 0 to ${formatNumber(m.current ?? 0)} (no relative change from a zero baseline)${suffix}`;
      }
      return `${m.name} changed by ${formatPct(m.change_pct)} (baseline: ${formatNumber(m.baseline ?? 0)}, current: ${formatNumber(m.current ?? 0)})${suffix}`;
    }
  }
}
