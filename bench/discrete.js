// Values on a few discrete levels (part of `npm run bench:verdicts`): where a phase's median jumps a
// whole step depending on how a few samples fell. Two classes real metrics have, seeded:
// - a quiet VM's CPU that reads 0.066 or 0.134 and nothing between (the higher level in 20-60% of
//   samples, 5% spikes up to 5), 5-minute samples: healthy, and with both levels doubled;
// - requests counted per 10 s interval, Poisson at 0.2 to 5 an interval (requests_per_sec =
//   count / 10): healthy, and with traffic down 60% from the first POST sample.
// 12 PRE and 30 POST samples, default rules for the one metric.
import { analyze } from '../build/src/core/analyze.js';
import { DEFAULT_RULES } from '../build/src/core/rules.js';
import { seededRandom as seeded } from '../build/src/demo/app.js';
import { poisson } from './scenarios.js';

const PRE = 12;
const POST = 30;

function verdicts(runs, seed, metric, draw, intervalMs) {
  const rand = seeded(seed);
  const out = { ok: 0, attention: 0, rollback_recommended: 0 };
  for (let k = 0; k < runs; k++) {
    const snap = (i) => ({ metrics: { [metric]: draw(rand, i >= PRE) } });
    const pre = Array.from({ length: PRE }, (_, i) => snap(i));
    const post = Array.from({ length: POST }, (_, i) => snap(PRE + i));
    out[analyze({ pre, post, rules: { [metric]: DEFAULT_RULES[metric] }, intervalMs }).verdict]++;
  }
  return out;
}

const share = (n, runs) => `${((100 * n) / runs).toFixed(1)}%`;

export function discreteBench(runs) {
  const cpu = [0.2, 0.4, 0.5, 0.6].map((high) => {
    const level = (factor) => (rand, after) => (rand() < 0.05 ? 1 + 4 * rand() : (rand() < high ? 0.134 : 0.066) * (after ? factor : 1));
    const same = verdicts(runs, 11 + high * 100, 'cpu_usage', level(1), 300_000);
    const doubled = verdicts(runs, 13 + high * 100, 'cpu_usage', level(2), 300_000);
    return { 'CPU at 0.066 / 0.134': `higher in ${high * 100}%`, 'healthy: flagged': share(runs - same.ok, runs), 'both levels doubled: flagged': share(runs - doubled.ok, runs) };
  });
  const requests = [0.2, 0.5, 1, 2, 3, 5].map((mean) => {
    const counted = (factor) => (rand, after) => poisson(rand, mean * (after ? factor : 1)) / 10;
    const same = verdicts(runs, 17 + mean * 10, 'requests_per_sec', counted(1), 10_000);
    const fell = verdicts(runs, 19 + mean * 10, 'requests_per_sec', counted(0.4), 10_000);
    return {
      'requests per 10 s interval': mean,
      'healthy: rollback': share(same.rollback_recommended, runs),
      'healthy: flagged': share(runs - same.ok, runs),
      '-60%: rollback': share(fell.rollback_recommended, runs),
      '-60%: flagged': share(runs - fell.ok, runs),
    };
  });
  return { cpu, requests };
}
