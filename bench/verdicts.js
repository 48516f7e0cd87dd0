// npm run bench:verdicts — verdict quality of seqpulse's judge on the labeled scenario suite,
// side by side with a mean-vs-threshold judge and a Kayenta-style judge.
import { analyze } from '../build/src/core/analyze.js';
import { DEFAULT_RULES } from '../build/src/core/rules.js';
import { kayentaJudge, meanThresholdJudge } from './reference-judges.js';
import { FAMILIES, scenarios } from './scenarios.js';

const PER_FAMILY = Number(process.env.SCENARIOS_PER_FAMILY ?? 100);
const judges = {
  seqpulse: (s) => analyze({ pre: s.pre, post: s.post, rules: DEFAULT_RULES, intervalMs: s.intervalMs }).verdict,
  'mean-threshold': (s) => meanThresholdJudge({ ...s, rules: DEFAULT_RULES }),
  'kayenta-style': (s) => kayentaJudge({ ...s, rules: DEFAULT_RULES }),
};

const rows = [];
const totals = Object.fromEntries(Object.keys(judges).map((j) => [j, { healthy: 0, falseRollback: 0, falseAlarm: 0, regressions: 0, detected: 0, missed: 0, attention: 0, attentionCaught: 0 }]));
for (const family of FAMILIES) {
  const cases = scenarios(family, PER_FAMILY, 2026);
  const row = { family: family.name, expected: family.expected };
  for (const [name, judge] of Object.entries(judges)) {
    const verdicts = cases.map(judge);
    const t = totals[name];
    const share = (v) => verdicts.filter((x) => x === v).length;
    if (family.expected === 'ok') {
      t.healthy += cases.length;
      t.falseRollback += share('rollback_recommended');
      t.falseAlarm += cases.length - share('ok');
      row[name] = `${pct(share('ok'), cases.length)} ok`;
    } else if (family.expected === 'rollback_recommended') {
      t.regressions += cases.length;
      t.detected += share('rollback_recommended');
      t.missed += share('ok');
      row[name] = `${pct(share('rollback_recommended'), cases.length)} rollback`;
    } else {
      t.attention += cases.length;
      t.attentionCaught += cases.length - share('ok');
      t.missed += share('ok');
      row[name] = `${pct(cases.length - share('ok'), cases.length)} flagged`;
    }
  }
  rows.push(row);
}

function pct(n, d) {
  return `${((100 * n) / Math.max(1, d)).toFixed(1)}%`;
}

console.log(`Verdict quality, ${PER_FAMILY} seeded scenarios per family (${FAMILIES.length} families)\n`);
console.table(rows);
console.log('');
const summary = Object.entries(totals).map(([judge, t]) => ({
  judge,
  'false rollbacks (healthy)': pct(t.falseRollback, t.healthy),
  'false alarms (healthy)': pct(t.falseAlarm, t.healthy),
  'detection (regressions)': pct(t.detected, t.regressions),
  'misses (judged ok)': pct(t.missed, t.regressions + t.attention),
  'attention recall': pct(t.attentionCaught, t.attention),
}));
console.table(summary);
const ours = totals.seqpulse;
const pass = ours.falseRollback / ours.healthy <= 0.01 && ours.falseAlarm / ours.healthy <= 0.1 && ours.detected / ours.regressions >= 0.95 && ours.missed === 0;
console.log(pass ? '\nseqpulse meets the targets (false rollbacks <= 1%, false alarms <= 10%, detection >= 95%, no misses).' : '\nseqpulse MISSES a target.');
if (!pass) process.exitCode = 1;
