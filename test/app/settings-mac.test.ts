/**
 * The MAC over a run's stored settings (src/app/settings-mac.ts) and what `finish` makes of it
 * (finishConfig): through real SQLite and Postgres stores, a sync copy, every covered field changed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finishConfig, settingsOf } from '../../src/app/run-settings.js';
import { checkSettings, sealSettings, settingsKeys } from '../../src/app/settings-mac.js';
import { parseConfigText } from '../../src/config/file.js';
import { resolveConfig, type ResolvedConfig } from '../../src/config/resolve.js';
import { openStore } from '../../src/store/open.js';
import type { RunRecord } from '../../src/store/types.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { run } from '../helpers/records.js';

const configOf = (flags: Record<string, unknown>, yml = ''): ResolvedConfig =>
  resolveConfig({ env: {}, flags: { interval: '100ms', window: '1s', ...flags }, defaultProject: 'shop', file: yml ? parseConfigText('seqpulse.yml', yml) : undefined });

/** A run as `start` stores it: the config's settings, sealed with the config's secrets. */
function started(config: ResolvedConfig): RunRecord {
  const record = run({ command: null, settings: settingsOf(config) });
  record.settings.mac = sealSettings(record, settingsKeys(config));
  return record;
}

const commandConfig = (secrets: string[]) =>
  configOf({ source: 'command', sourceCommand: 'node metrics.js --ünïcode', ...(secrets.length > 0 ? { secret: secrets } : {}) }, 'metrics:\n  __proto__: { threshold: 10 }\n  constructor: { threshold: 0.1, min_delta: 1e-7 }\n');

describe('the MAC over stored settings', () => {
  it('survives the round trip through a SQLite store, a Postgres store and a sync copy between them', async () => {
    const config = commandConfig(['s1']);
    const record = started(config);
    const sqlite = await openStore(join(mkdtempSync(join(tmpdir(), 'seqpulse-mac-')), 'seqpulse.db'));
    const postgres = await openStore(await createTestDatabase());
    try {
      await sqlite.createRun(record);
      const fromSqlite = (await sqlite.getRun(record.id))!;
      await postgres.upsertRuns([fromSqlite]);
      const fromPostgres = (await postgres.getRun(record.id))!;
      for (const stored of [fromSqlite, fromPostgres]) expect(checkSettings(stored, settingsKeys(config))).toEqual({ verified: true });
      expect(Object.hasOwn(fromPostgres.settings.rules!, '__proto__')).toBe(true);
    } finally {
      await sqlite.close();
      await postgres.close();
    }
  });

  it('any change to what finish would use breaks it; what is written after start (owner, early exit) does not', () => {
    const config = commandConfig(['s1']);
    const keys = settingsKeys(config);
    const record = started(config);
    const changes: ((r: RunRecord) => void)[] = [
      (r) => (r.settings.source_settings = { type: 'command', argv: ['sh', '-c', 'touch /tmp/x'] }),
      (r) => (r.settings.fail_on = 'never'),
      (r) => (r.settings.dry_run = true),
      (r) => (r.settings.window_ms += 1),
      (r) => (r.settings.rules!['constructor']!.threshold = 90),
      (r) => (r.settings.endpoints = ['http://spy/']),
      (r) => (r.id = 'another-run'),
      (r) => (r.env = 'staging'),
    ];
    for (const change of changes) {
      const copy = structuredClone(record);
      change(copy);
      expect(checkSettings(copy, keys)).toMatchObject({ verified: false, reason: expect.stringMatching(/does not match/) });
    }
    const later = structuredClone(record);
    Object.assign(later.settings, { owner: { host: 'h', pid: 1 }, early_exit_after: 4 });
    expect(checkSettings(later, keys)).toEqual({ verified: true });
    // A MAC field that is not a list of MACs is no authentication.
    expect(checkSettings({ ...record, settings: { ...record.settings, mac: 'x' as unknown as string[] } }, keys)).toMatchObject({ verified: false, reason: expect.stringMatching(/no authentication/) });
  });

  it('keys: the HMAC secrets, else the source token or database password; none without a secret', () => {
    expect(settingsKeys(configOf({ secret: ['a', 'b'], sourceToken: 't' }))).toHaveLength(2);
    expect(settingsKeys(configOf({ source: 'prometheus', prometheusUrl: 'http://p/', sourceToken: 't' }))).toHaveLength(1);
    expect(settingsKeys(configOf({ source: 'sql', sqlUrl: 'postgres://reader:pw@db/app' }))).toHaveLength(1);
    expect(settingsKeys(configOf({ source: 'sql', sqlUrl: 'postgres://db/app?password=pw' }))).toHaveLength(1);
    expect(settingsKeys(configOf({ source: 'sql', sqlUrl: '/data/app.db' }))).toEqual([]);
    // The store's password is not a key: whoever writes the store has it.
    expect(settingsKeys(configOf({ store: 'postgres://u:storepw@db/seqpulse' }))).toEqual([]);
    // A key made for settings is not the secret, nor a /ds-metrics signature key.
    const [key] = settingsKeys(configOf({ secret: ['a'] }));
    expect(key!.equals(Buffer.from('a'))).toBe(false);
  });
});

describe('finishConfig with unauthenticated settings', () => {
  it('takes only the stored timing, validated: invalid values are said and this command\'s own are used', () => {
    const record = started(commandConfig([]));
    Object.assign(record.settings, { interval_ms: 5, window_ms: 'forever', persist: 1000 });
    const own = configOf({ secret: ['s1'], endpoint: ['http://app/ds-metrics'], interval: '2s', window: '20s', persist: '4' });
    // As if from its config file: given by neither flags nor SEQPULSE_*, so the stored timing would win if valid.
    const { config, note, check } = finishConfig({ ...own, explicit: new Set() }, record);
    expect(check).toMatchObject({ verified: false });
    expect(config).toMatchObject({ intervalMs: 2000, windowMs: 20_000, persist: 4, source: { type: 'ds-metrics' }, endpoints: ['http://app/ds-metrics'] });
    expect(config.rules['__proto__']).toBeUndefined();
    expect(note).toMatch(/stored timing not used: interval: 5ms is too short: must be at least 10ms; window: "forever" is not a duration.*; persist: /);
  });

  it('stored timing valid value by value but not together (a window shorter than the interval): neither is used, and the note says why', () => {
    const record = started(commandConfig([]));
    Object.assign(record.settings, { interval_ms: 30_000, window_ms: 20_000 });
    const own = configOf({ secret: ['s1'], endpoint: ['http://app/ds-metrics'], interval: '2s', window: '20s' });
    const { config, note } = finishConfig({ ...own, explicit: new Set() }, record);
    expect(config).toMatchObject({ intervalMs: 2000, windowMs: 20_000 });
    expect(note).toMatch(/stored timing not used: interval 30s and window 20s: the window must be no shorter than the interval/);
  });
});
