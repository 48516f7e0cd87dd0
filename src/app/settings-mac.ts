/**
 * The settings `start` stores are authenticated, so `finish` can tell that they are the ones
 * `start` was given. Whoever can write the store (a Postgres store shared by several teams, a
 * store file a job uploads) must not choose what `finish` runs (a command source's argv), where it
 * sends the source token (a Prometheus URL), or how it decides (fail_on, dry_run, rules).
 *
 * `start` stores, with the settings, an HMAC-SHA256 of them (a canonical serialisation, with the
 * run's id, project and env) under a key derived (HKDF, fixed label) from secret material both
 * jobs of a start/finish pipeline necessarily have: the `/ds-metrics` signing secret(s), else the
 * source token or the source database's password. One MAC per secret, as a request carries one
 * signature per secret during a rotation: `finish` accepts the settings when any of its secrets
 * gives any stored MAC. A store writer who knows none of the secrets cannot make one.
 *
 * The MAC is not a secret, but it is nobody's business either: it stays in the store (and what
 * sync copies), never in output (`withoutMac`).
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { ResolvedConfig } from '../config/resolve.js';
import type { RunRecord, RunSettings } from '../store/types.js';

/** The HKDF label: a key made for this purpose is good for nothing else (not a `/ds-metrics` signature). */
const LABEL = 'seqpulse run settings v1';
const MAC_PATTERN = /^[0-9a-f]{64}$/;

/** What `finish` made of the stored settings: verified, or why not (said to the user). */
export type SettingsCheck = { verified: true } | { verified: false; reason: string };

/**
 * The secret material of a config, as settings keys: every HMAC secret (a rotation list), else the
 * source's own credentials. Empty when the config has no secret at all.
 */
export function settingsKeys(config: Pick<ResolvedConfig, 'secrets' | 'sourceToken' | 'source'>): Buffer[] {
  const material = config.secrets.length > 0 ? config.secrets : [config.sourceToken, passwordOf('url' in config.source ? config.source.url : undefined)];
  return [...new Set(material.filter((m): m is string => m !== undefined && m !== ''))].map(
    (secret) => Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), LABEL, 32)),
  );
}

/** The MACs to store with a run's settings, one per key (none without a key). */
export function sealSettings(run: Pick<RunRecord, 'id' | 'project' | 'env' | 'settings'>, keys: readonly Buffer[]): string[] {
  const text = canonicalSettings(run);
  return keys.map((key) => createHmac('sha256', key).update(text).digest('hex'));
}

/** Whether the stored settings carry a MAC one of `keys` gives, and if not, why (in words for the user). */
export function checkSettings(run: Pick<RunRecord, 'id' | 'project' | 'env' | 'settings'>, keys: readonly Buffer[]): SettingsCheck {
  const stored = storedMacs(run.settings);
  if (stored.length === 0) {
    return { verified: false, reason: 'they carry no authentication (stored by a seqpulse older than this check, or by a `start` that had no secret, or rewritten in the store)' };
  }
  if (keys.length === 0) {
    return { verified: false, reason: 'this command has no secret to check them with (the HMAC secret, or else the source token or database password, that `start` had)' };
  }
  const expected = sealSettings(run, keys).map((mac) => Buffer.from(mac, 'hex'));
  const match = stored.some((mac) => expected.some((e) => timingSafeEqual(e, Buffer.from(mac, 'hex'))));
  return match ? { verified: true } : { verified: false, reason: "their authentication does not match this command's secret (they were changed in the store, or `start` had another secret)" };
}

/** The settings as output may show them: without the MAC. */
export function withoutMac(settings: RunSettings): RunSettings {
  const { mac: _mac, ...rest } = settings;
  return rest;
}

/** Well-formed stored MACs only: anything else in the field is no authentication. */
function storedMacs(settings: RunSettings): string[] {
  const macs: unknown = settings.mac;
  return Array.isArray(macs) ? macs.filter((m): m is string => typeof m === 'string' && MAC_PATTERN.test(m)) : [];
}

/**
 * What the MAC covers: the run's identity and every stored setting, except what is written after
 * `start` (the owner of a `run`, where an early exit stopped) and the MAC itself. Keys sorted at
 * every level and undefined dropped, so the text is the same after the store's JSON round trip.
 */
function canonicalSettings(run: Pick<RunRecord, 'id' | 'project' | 'env' | 'settings'>): string {
  const { mac: _mac, owner: _owner, early_exit_after: _early, ...covered } = run.settings;
  return canonical({ id: run.id, project: run.project, env: run.env, settings: covered });
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A connection string's password (in its userinfo, or as a `password` parameter); a SQLite path has none. */
function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return decodeURIComponent(parsed.password) || parsed.searchParams.get('password') || undefined;
  } catch {
    return undefined;
  }
}
