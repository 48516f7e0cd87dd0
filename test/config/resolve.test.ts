import { afterEach, describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { optionName, useDoor } from '../../src/config/names.js';
import { parseConfigText } from '../../src/config/file.js';
import { resolveConfig, sourceIssues } from '../../src/config/resolve.js';
import { STARTER_CONFIG } from '../../src/config/starter.js';
import { DEFAULT_RULES, rule } from '../../src/core/rules.js';
import { ConfigError } from '../../src/errors.js';

const base = { env: {}, flags: {}, defaultProject: 'proj' };

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['30', 30_000],
    [2, 2_000],
    ['1.5s', 1_500],
    ['30d', 2_592_000_000],
  ])('%s -> %d ms', (input, ms) => {
    expect(parseDuration(input)).toEqual({ ok: true, ms });
  });

  it.each(['10 minutes', '-5s', 'abc', '', '5w'])('rejects %j', (input) => {
    expect(parseDuration(input).ok).toBe(false);
  });
});

describe('config layers', () => {
  it('uses defaults when nothing is given', () => {
    const c = resolveConfig(base);
    expect(c).toMatchObject({ project: 'proj', env: 'default', preSamples: 12, intervalMs: 10_000, windowMs: 300_000, timeoutMs: 5_000, failOn: 'rollback', store: '.seqpulse/seqpulse.db' });
    expect(c.rules.error_rate).toMatchObject({ direction: 'increase', threshold: 50, critical: true });
    expect(c.rules.requests_per_sec).toMatchObject({ direction: 'decrease', threshold: 40, critical: true });
  });

  it.each([
    ['a NUL in the file', { file: parseConfigText('seqpulse.yml', 'project: "nul\\0byte"\n') }, /seqpulse\.yml:1: project: must not contain control characters/],
    ['a line break in a flag', { flags: { env: 'prod\nstaging' } }, /--env: must not contain control characters/],
    ['an escape in the environment', { env: { SEQPULSE_PROJECT: 'shop\u001b[31m' } }, /SEQPULSE_PROJECT: must not contain control characters/],
  ])('a project or env name with %s is refused (Postgres refuses NUL in text: such a run could never be synced)', (_what, layer, said) => {
    expect(() => resolveConfig({ ...base, ...layer })).toThrow(ConfigError);
    expect(() => resolveConfig({ ...base, ...layer })).toThrow(said);
  });

  it('a number past 2^53 is said once, by the key\'s own bound (zod\'s safe-integer bound said "at most 9007199254740991" above it)', () => {
    for (const layer of [{ flags: { preSamples: '99999999999999999999' } }, { file: parseConfigText('seqpulse.yml', 'pre_samples: 99999999999999999999\n') }, { env: { SEQPULSE_PRE_SAMPLES: '99999999999999999999' } }]) {
      const err = (() => {
        try {
          resolveConfig({ ...base, ...layer });
        } catch (e) {
          return e as ConfigError;
        }
        throw new Error('resolved');
      })();
      expect(err.issues.map((i) => i.reason)).toEqual(['must be at most 10000']);
    }
  });

  it('flags beat the environment, which beats the file, which beats defaults', () => {
    const file = parseConfigText('seqpulse.yml', 'window: 1m\ninterval: 5s\npre_samples: 7\nproject: from-file\n');
    const c = resolveConfig({
      ...base,
      file,
      env: { SEQPULSE_WINDOW: '2m', SEQPULSE_INTERVAL: '2s' },
      flags: { window: '3m' },
    });
    expect(c.windowMs).toBe(180_000);
    expect(c.intervalMs).toBe(2_000);
    expect(c.preSamples).toBe(7);
    expect(c.project).toBe('from-file');
  });

  it('applies per-environment overrides from the file, selected by --env', () => {
    const file = parseConfigText(
      'seqpulse.yml',
      'window: 5m\nmetrics:\n  latency_p95: { threshold: 25 }\nenvironments:\n  prod:\n    window: 15m\n    metrics:\n      latency_p95: { threshold: 10 }\n',
    );
    const staging = resolveConfig({ ...base, file, flags: { env: 'staging' } });
    const prod = resolveConfig({ ...base, file, flags: { env: 'prod' } });
    expect(staging.windowMs).toBe(300_000);
    expect(staging.rules.latency_p95?.threshold).toBe(25);
    expect(prod.windowMs).toBe(900_000);
    expect(prod.rules.latency_p95?.threshold).toBe(10);
    // The attention band follows a new threshold unless it is set too.
    expect(prod.rules.latency_p95?.attention).toBe(5);
    expect(prod.rules.latency_p95?.trend).toBe(true);
    // Fields not overridden keep the default rule's values.
    expect(prod.rules.latency_p95?.direction).toBe('increase');
  });

  it('an environment may be called __proto__ or constructor: its overrides apply, and a name with no entry takes none', () => {
    const file = parseConfigText('seqpulse.yml', 'window: 5m\nenvironments:\n  __proto__:\n    window: 15m\n  constructor:\n    window: 10m\n');
    expect(resolveConfig({ ...base, file, flags: { env: '__proto__' } }).windowMs).toBe(900_000);
    expect(resolveConfig({ ...base, file, flags: { env: 'constructor' } }).windowMs).toBe(600_000);
    // Names of Object.prototype's members are no environment of this file.
    const plain = parseConfigText('seqpulse.yml', 'window: 5m\nenvironments:\n  prod:\n    window: 15m\n');
    for (const env of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) expect(resolveConfig({ ...base, file: plain, flags: { env } }).windowMs).toBe(300_000);
    // An invalid __proto__ environment is an error with its key, not dropped.
    const bad = parseConfigText('seqpulse.yml', 'environments:\n  __proto__:\n    window: soon\n');
    expect(() => resolveConfig({ ...base, file: bad })).toThrow(/environments\.__proto__\.window/);
  });

  it('adds custom metrics and disables default ones', () => {
    const file = parseConfigText('seqpulse.yml', 'metrics:\n  orders_per_min: { direction: decrease, threshold: 20, critical: true }\n  memory_usage: { enabled: false }\n');
    const c = resolveConfig({ ...base, file });
    expect(c.rules.orders_per_min).toEqual(rule('decrease', 20, { critical: true }));
    expect(c.rules.orders_per_min?.attention).toBe(10);
    expect(c.rules.memory_usage).toBeUndefined();
  });

  it('an attention band above the threshold is refused naming the metric and the layer that set it; up to the threshold is read', () => {
    const file = parseConfigText(
      'seqpulse.yml',
      'metrics:\n  error_rate:\n    threshold: 5\n    attention: 50\n  latency_p95: { attention: 40 }\n  cpu_usage: { threshold: 5, attention: 5 }\nenvironments:\n  prod:\n    metrics:\n      memory_usage: { attention: 80 }\n',
    );
    expect(issuesOf(() => resolveConfig({ ...base, file, flags: { env: 'prod' } }))).toEqual([
      { source: 'seqpulse.yml:4', key: 'metrics.error_rate.attention', reason: 'the attention band (50%) is above the threshold (5%): it must be at most the threshold (default: half of it)' },
      // The default rule's threshold (30%) is the one it is above.
      { source: 'seqpulse.yml:5', key: 'metrics.latency_p95.attention', reason: expect.stringContaining('(40%) is above the threshold (30%)') },
      { source: 'seqpulse.yml:10', key: 'environments.prod.metrics.memory_usage.attention', reason: expect.stringContaining('(80%) is above the threshold (70%)') },
    ]);
    const ok = resolveConfig({ ...base, file: parseConfigText('seqpulse.yml', 'metrics:\n  cpu_usage: { threshold: 5, attention: 5 }\n') });
    expect(ok.rules.cpu_usage?.attention).toBe(5);
  });

  it('judge settings: settle, early exit, persistence, baseline, dry run', () => {
    const file = parseConfigText('seqpulse.yml', 'settle: 45s\nearly_exit: false\npersist: 4\nbaseline: history\nhistory_runs: 8\n');
    const c = resolveConfig({ ...base, file, env: { SEQPULSE_DRY_RUN: 'true' } });
    expect(c).toMatchObject({ settleMs: 45_000, earlyExit: false, persist: 4, baseline: 'history', historyRuns: 8, dryRun: true });
    expect(resolveConfig(base)).toMatchObject({ settleMs: undefined, earlyExit: true, persist: 3, baseline: 'pre', historyRuns: 5, dryRun: false });
    expect(issuesOf(() => resolveConfig({ ...base, flags: { baseline: 'yesterday' } }))[0]).toMatchObject({ source: 'flags', key: '--baseline' });
  });

  it('a window is at most 24h, whichever layer sets it (a run\'s stored settings go through the same schema)', () => {
    expect(resolveConfig({ ...base, flags: { window: '24h' } }).windowMs).toBe(86_400_000);
    expect(() => resolveConfig({ ...base, flags: { window: '25h' } })).toThrow(/--window: must be at most 24h/);
    expect(() => resolveConfig({ ...base, env: { SEQPULSE_WINDOW: '30d' } })).toThrow(/must be at most 24h/);
  });

  it('reads endpoints and the secret from the environment', () => {
    const c = resolveConfig({ ...base, env: { SEQPULSE_ENDPOINTS: 'http://a/ds-metrics, http://b/ds-metrics', SEQPULSE_HMAC_SECRET: 's3cret' } });
    expect(c.endpoints).toEqual(['http://a/ds-metrics', 'http://b/ds-metrics']);
    expect(c.secrets).toEqual(['s3cret']);
  });

  it('a list given by a flag or a variable says which of its values is wrong, as the file\'s endpoints.1 does; a single value says none', () => {
    const bad = 'ftp://x/ds-metrics';
    expect(issuesOf(() => resolveConfig({ ...base, flags: { endpoint: ['http://a/ds-metrics', bad] } }))).toEqual([{ source: 'flags', key: '--endpoint', reason: 'value 2 of 2: must be an http:// or https:// URL' }]);
    expect(issuesOf(() => resolveConfig({ ...base, env: { SEQPULSE_ENDPOINTS: `${bad},http://a/ds-metrics,http://b/ds-metrics` } }))).toEqual([{ source: 'environment', key: 'SEQPULSE_ENDPOINTS', reason: 'value 1 of 3: must be an http:// or https:// URL' }]);
    expect(issuesOf(() => resolveConfig({ ...base, flags: { endpoint: [bad] } }))).toEqual([{ source: 'flags', key: '--endpoint', reason: 'must be an http:// or https:// URL' }]);
  });

  it('a source token read from a file (a trailing newline) is trimmed; a line break or another control character inside it is refused, without the token', () => {
    const prometheus = { SEQPULSE_SOURCE: 'prometheus', SEQPULSE_PROMETHEUS_URL: 'http://prom:9090' };
    const c = resolveConfig({ ...base, env: { ...prometheus, SEQPULSE_SOURCE_TOKEN: '  tok-3f9a2c\n' } });
    expect(c.source).toMatchObject({ token: 'tok-3f9a2c' });
    expect(c.redactions).toContain('tok-3f9a2c');
    for (const layer of [{ env: { ...prometheus, SEQPULSE_SOURCE_TOKEN: 'tok-3f9a2c\nline-two' } }, { env: prometheus, flags: { sourceToken: 'tok-3f9a2c\u0000x' } }]) {
      const issues = issuesOf(() => resolveConfig({ ...base, ...layer }));
      expect(issues.map((i) => `${i.key}: ${i.reason}`)).toEqual([expect.stringMatching(/^(SEQPULSE_SOURCE_TOKEN|--source-token): must not contain control characters/)]);
      expect(JSON.stringify(issues)).not.toContain('tok-3f9a2c');
    }
  });

  it('SEQPULSE_HMAC_SECRET holds a rotation list one secret per line (as the Action input does); a comma is part of a secret', () => {
    expect(resolveConfig({ ...base, env: { SEQPULSE_HMAC_SECRET: 'new-secret\r\n  old-secret \n\n' } }).secrets).toEqual(['new-secret', 'old-secret']);
    expect(resolveConfig({ ...base, env: { SEQPULSE_HMAC_SECRET: 'a,b' } }).secrets).toEqual(['a,b']);
    // Both are masked wherever text is shown.
    expect(resolveConfig({ ...base, env: { SEQPULSE_HMAC_SECRET: 'new-secret\nold-secret' } }).redactions).toEqual(expect.arrayContaining(['new-secret', 'old-secret']));
  });

  it('the starter file from `init` is valid', () => {
    const c = resolveConfig({ ...base, file: parseConfigText('seqpulse.yml', STARTER_CONFIG), flags: { env: 'prod' } });
    expect(c.project).toBe('my-service');
    expect(c.windowMs).toBe(900_000);
    expect(c.rules.latency_p95?.threshold).toBe(20);
    // The starter writes the default rules out: they are the defaults.
    expect(c.rules.requests_per_sec).toEqual(DEFAULT_RULES.requests_per_sec);
  });

  it('gradual: a rule key with two values, checked', () => {
    const ok = resolveConfig({ ...base, file: parseConfigText('seqpulse.yml', 'metrics:\n  cpu_usage: { gradual: attention }\n') });
    expect(ok.rules.cpu_usage?.gradual).toBe('attention');
    expect(ok.rules.requests_per_sec?.gradual).toBe('attention');
    expect(ok.rules.latency_p95?.gradual).toBe('regression');
    const issues = issuesOf(() => resolveConfig({ ...base, file: parseConfigText('seqpulse.yml', 'metrics:\n  cpu_usage:\n    gradual: maybe\n') }));
    expect(issues).toContainEqual(expect.objectContaining({ source: 'seqpulse.yml:3', key: 'metrics.cpu_usage.gradual' }));
  });

  it('a share cannot be its own volume (its counts would be "0 errors in 0 requests"), in the file or an environment', () => {
    const issues = issuesOf(() => resolveConfig({ ...base, file: parseConfigText('seqpulse.yml', 'metrics:\n  error_rate:\n    volume: error_rate\n') }));
    expect(issues).toContainEqual({ source: 'seqpulse.yml:3', key: 'metrics.error_rate.volume', reason: expect.stringMatching(/^error_rate cannot be its own volume/) });
    const inEnv = issuesOf(() => resolveConfig({ ...base, file: parseConfigText('seqpulse.yml', 'environments:\n  prod:\n    metrics:\n      cpu_usage: { volume: cpu_usage }\n') }));
    expect(inEnv).toContainEqual(expect.objectContaining({ key: 'environments.prod.metrics.cpu_usage.volume' }));
  });
});

describe('config errors name the source, key and reason', () => {
  it('unknown keys in the file, with their line', () => {
    const file = parseConfigText('seqpulse.yml', 'project: x\nwindw: 5m\nmetrics:\n  error_rate:\n    treshold: 10\n');
    const issues = issuesOf(() => resolveConfig({ ...base, file }));
    expect(issues).toContainEqual({ source: 'seqpulse.yml:2', key: 'windw', reason: 'unknown key (did you mean window?)' });
    expect(issues).toContainEqual({ source: 'seqpulse.yml:5', key: 'metrics.error_rate.treshold', reason: 'unknown key (did you mean threshold?)' });
  });

  it('"did you mean" at every level of the file: environments, their rules; nothing suggested when nothing is close', () => {
    const file = parseConfigText('seqpulse.yml', 'environments:\n  prod:\n    intervall: 5s\n    metrics:\n      cpu_usage: { critcal: true }\nfrobnicate: 1\n');
    const issues = issuesOf(() => resolveConfig({ ...base, file }));
    expect(issues).toContainEqual({ source: 'seqpulse.yml:3', key: 'environments.prod.intervall', reason: 'unknown key (did you mean interval?)' });
    expect(issues).toContainEqual({ source: 'seqpulse.yml:5', key: 'environments.prod.metrics.cpu_usage.critcal', reason: 'unknown key (did you mean critical?)' });
    expect(issues).toContainEqual({ source: 'seqpulse.yml:6', key: 'frobnicate', reason: 'unknown key (check the spelling; docs/configuration.md lists every key)' });
  });

  it('an unknown SEQPULSE_* variable is a warning with "did you mean"', () => {
    const c = resolveConfig({ ...base, env: { SEQPULSE_WINDOWS: '5m', SEQPULSE_HMAC_SECRETS: 'x' } });
    expect(c.warnings).toContain('SEQPULSE_WINDOWS is not a seqpulse setting and is ignored (did you mean SEQPULSE_WINDOW?)');
    expect(c.warnings).toContain('SEQPULSE_HMAC_SECRETS is not a seqpulse setting and is ignored (did you mean SEQPULSE_HMAC_SECRET?)');
  });

  it('wrong types in the file', () => {
    const file = parseConfigText('seqpulse.yml', 'pre_samples: three\nwindow: 10 minutes\nmetrics:\n  error_rate: { direction: up }\n');
    const issues = issuesOf(() => resolveConfig({ ...base, file }));
    const keys = issues.map((i) => `${i.source} ${i.key}`);
    expect(keys).toEqual(expect.arrayContaining(['seqpulse.yml:1 pre_samples', 'seqpulse.yml:2 window', 'seqpulse.yml:4 metrics.error_rate.direction']));
    expect(issues.find((i) => i.key === 'window')?.reason).toMatch(/not a duration/);
  });

  it('bounds in words: "must be at least 1", not zod\'s "too small: expected number to be >=1"', () => {
    const issues = issuesOf(() => resolveConfig({ ...base, file: parseConfigText('seqpulse.yml', 'pre_samples: 100000\n'), flags: { persist: '0', env: '' } }));
    expect(issues).toContainEqual({ source: 'seqpulse.yml:1', key: 'pre_samples', reason: 'must be at most 10000' });
    expect(issues).toContainEqual(expect.objectContaining({ key: '--persist', reason: 'must be at least 1' }));
    expect(issues).toContainEqual(expect.objectContaining({ key: '--env', reason: 'must not be empty' }));
    for (const issue of issues) expect(issue.reason).not.toMatch(/too (small|big)|expected/i);
  });

  it('a custom metric without a threshold', () => {
    const file = parseConfigText('seqpulse.yml', 'metrics:\n  orders: { direction: decrease }\n');
    expect(issuesOf(() => resolveConfig({ ...base, file }))).toEqual([
      { source: 'seqpulse.yml:2', key: 'metrics.orders.threshold', reason: 'required for a metric without a default rule' },
    ]);
  });

  it('bad environment variables and flags are named as such', () => {
    const issues = issuesOf(() => resolveConfig({ ...base, env: { SEQPULSE_PRE_SAMPLES: 'lots', SEQPULSE_FAIL_ON: 'sometimes' }, flags: { window: 'forever', endpoint: ['ftp://x'] } }));
    expect(issues.map((i) => `${i.source} ${i.key}`).sort()).toEqual(['environment SEQPULSE_FAIL_ON', 'environment SEQPULSE_PRE_SAMPLES', 'flags --endpoint', 'flags --window']);
  });

  it('a window shorter than the interval', () => {
    const issues = issuesOf(() => resolveConfig({ ...base, flags: { window: '1s', interval: '5s' } }));
    expect(issues[0]).toMatchObject({ source: 'flags', key: '--window', reason: expect.stringContaining('shorter than the interval') });
    // Named where it was set: the file's line, the environment's section, the variable.
    const inFile = issuesOf(() => resolveConfig({ ...base, file: parseConfigText('seqpulse.yml', 'project: shop\nwindow: 0\n') }));
    expect(inFile).toEqual([{ source: 'seqpulse.yml:2', key: 'window', reason: expect.stringContaining('shorter than the interval') }]);
    const inEnv = issuesOf(() => resolveConfig({ ...base, flags: { env: 'staging' }, file: parseConfigText('seqpulse.yml', 'environments:\n  staging:\n    window: 1s\n') }));
    expect(inEnv).toEqual([{ source: 'seqpulse.yml:3', key: 'environments.staging.window', reason: expect.stringContaining('shorter than the interval') }]);
    const inVar = issuesOf(() => resolveConfig({ ...base, env: { SEQPULSE_WINDOW: '1s' } }));
    expect(inVar).toEqual([{ source: 'environment', key: 'SEQPULSE_WINDOW', reason: expect.stringContaining('shorter than the interval') }]);
  });

  it('a settle period as long as the window: nothing would be left to judge', () => {
    const issues = issuesOf(() => resolveConfig({ ...base, flags: { window: '2s', interval: '100ms', settle: '2s' } }));
    expect(issues).toEqual([{ source: 'flags', key: '--settle', reason: 'the settle period (2s) is not shorter than the observation window (2s): no POST sample would be left to judge' }]);
    expect(resolveConfig({ ...base, flags: { window: '2s', interval: '100ms', settle: '1500ms' } }).settleMs).toBe(1500);
  });

  it('YAML syntax errors carry the line', () => {
    expect(() => parseConfigText('seqpulse.yml', 'project: x\nmetrics: [\n')).toThrow(/seqpulse.yml:\d+: \(yaml\)/);
  });

  it('unknown SEQPULSE_ variables are warned about, not silently ignored', () => {
    const c = resolveConfig({ ...base, env: { SEQPULSE_WINDOWS: '5m' } });
    expect(c.warnings.join('\n')).toMatch(/SEQPULSE_WINDOWS is not a seqpulse setting/);
  });
});

describe('one style for durations', () => {
  it.each([
    [500, '500ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [20_000, '20s'],
    [90_000, '1m30s'],
    [300_000, '5m'],
    [3_600_000, '1h'],
  ])('%d ms -> %s, and it reads back as the same duration', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text.replace(/(\d+)m(\d+)s/, (_, m, s) => `${Number(m) * 60 + Number(s)}s`))).toEqual({ ok: true, ms });
  });

  it('config errors use it: no "20000ms" next to "5m"', () => {
    const issues = issuesOf(() => resolveConfig({ ...base, flags: { window: '1s', interval: '20s' } }));
    expect(issues.find((i) => i.key === '--window')?.reason).toBe('the observation window (1s) is shorter than the interval (20s): no POST sample would be taken');
  });
});

describe('each door names its own settings', () => {
  afterEach(() => useDoor('cli'));

  it('the CLI says --window; the Action says input window, and seqpulse.yml keys where it has no input', () => {
    expect(issuesOf(() => resolveConfig({ ...base, flags: { window: 'soon' } }))[0]).toMatchObject({ source: 'flags', key: '--window' });
    expect([optionName('insecure', 'true'), optionName('early_exit', 'false'), optionName('endpoints', 'URL')]).toEqual(['--insecure', '--no-early-exit', '--endpoint URL']);
    expect(sourceIssues(resolveConfig({ ...base, flags: {} }))[1]?.reason).toBe('no HMAC secret given (set SEQPULSE_HMAC_SECRET, or --secret)');
    useDoor('action');
    expect(issuesOf(() => resolveConfig({ ...base, flags: { window: 'soon' } }))[0]).toMatchObject({ source: 'inputs', key: 'window' });
    const action = sourceIssues(resolveConfig({ ...base, flags: {} }));
    expect(action.map((i) => i.reason)).toEqual([
      'no endpoint given (input endpoints, SEQPULSE_ENDPOINTS or endpoints: in seqpulse.yml)',
      'no HMAC secret given (set SEQPULSE_HMAC_SECRET, or input secret)',
    ]);
    expect(optionName('early_exit', 'false')).toBe('early_exit: false in seqpulse.yml');
    expect(optionName('dry_run', 'true')).toBe('input dry-run: true');
    expect(JSON.stringify(action)).not.toMatch(/--[a-z]/);
  });
});
