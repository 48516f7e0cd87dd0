/**
 * What each door calls a setting: its SEQPULSE_* variable, its command-line flag, its input of the
 * GitHub Action. Messages that tell a user what to change name it the way the door they came
 * through does (`--window` on the command line, input `window` in the Action), and fall back to
 * the key of seqpulse.yml, which both read. A process is one door: the Action says so at start.
 */
import type { FlagValues } from './resolve.js';
import type { Settings } from './schema.js';

export type Door = 'cli' | 'action';
let door: Door = 'cli';

/** Called once by the Action's entry, before any config is read. */
export function useDoor(which: Door): void {
  door = which;
}

export function currentDoor(): Door {
  return door;
}

/** The Action's inputs that set a setting (action.yml): the setting key -> the input name. */
export const ACTION_INPUTS: Partial<Record<keyof Settings, string>> = {
  endpoints: 'endpoints',
  secret: 'secret',
  project: 'project',
  env: 'env',
  window: 'window',
  interval: 'interval',
  pre_samples: 'pre-samples',
  fail_on: 'fail-on',
  dry_run: 'dry-run',
  store: 'store',
  sync: 'sync',
  source: 'source',
  queries: 'queries',
  prometheus_url: 'prometheus-url',
  source_token: 'source-token',
};

/**
 * How a user of this door sets `key`: `--pre-samples` (CLI), input `pre-samples` (Action), or
 * `pre_samples:` in seqpulse.yml when the door has no flag or input for it. `value`: the value to
 * set, for settings a flag can only turn off (early_exit false is `--no-early-exit`).
 */
export function optionName(key: keyof Settings, value?: string): string {
  if (door === 'action') {
    const input = ACTION_INPUTS[key];
    // Only a yes/no is worth spelling out; `input endpoints` says where a URL goes.
    if (input) return `input ${input}${value === 'true' || value === 'false' ? `: ${value}` : ''}`;
    return `${key}: ${value ?? '...'} in seqpulse.yml`;
  }
  const flag = flagOf(key);
  // A yes/no setting's flag is the yes (or, for early_exit, the no) by itself.
  if (flag) return value === undefined || value === 'true' || value === 'false' ? flag : `${flag} ${value}`;
  return `${key}: ${value ?? '...'} in seqpulse.yml`;
}

/** For options that are not settings (finish's result, start's deployment id): the wording of each door. */
export function byDoor(words: Record<Door, string>): string {
  return words[door];
}

/** Where the door's own values come from, in config errors: `flags` or `inputs`. */
export function doorLayer(): { source: string; key: (key: string) => string } {
  if (door === 'action') return { source: 'inputs', key: (key) => ACTION_INPUTS[key as keyof Settings] ?? key };
  return { source: 'flags', key: (key) => `--${flagName(key)}` };
}

/** SEQPULSE_* variables and the setting each one feeds. */
export const ENV_VARS: Record<string, keyof Settings> = {
  SEQPULSE_ENDPOINTS: 'endpoints',
  SEQPULSE_ENDPOINT: 'endpoints',
  SEQPULSE_HMAC_SECRET: 'secret',
  SEQPULSE_PROJECT: 'project',
  SEQPULSE_ENV: 'env',
  SEQPULSE_PRE_SAMPLES: 'pre_samples',
  SEQPULSE_INTERVAL: 'interval',
  SEQPULSE_WINDOW: 'window',
  SEQPULSE_TIMEOUT: 'timeout',
  SEQPULSE_RETRIES: 'retries',
  SEQPULSE_FAIL_ON: 'fail_on',
  SEQPULSE_ON_STORE_ERROR: 'on_store_error',
  SEQPULSE_STORE: 'store',
  SEQPULSE_SYNC: 'sync',
  SEQPULSE_STORE_TIMEOUT: 'store_timeout',
  SEQPULSE_SYNC_TIMEOUT: 'sync_timeout',
  SEQPULSE_KILL_GRACE: 'kill_grace',
  SEQPULSE_LOG_FORMAT: 'log_format',
  SEQPULSE_SETTLE: 'settle',
  SEQPULSE_EARLY_EXIT: 'early_exit',
  SEQPULSE_PERSIST: 'persist',
  SEQPULSE_ON_ENDPOINT_FAILURE: 'on_endpoint_failure',
  SEQPULSE_BASELINE: 'baseline',
  SEQPULSE_HISTORY_RUNS: 'history_runs',
  SEQPULSE_DRY_RUN: 'dry_run',
  SEQPULSE_SOURCE: 'source',
  SEQPULSE_PROMETHEUS_URL: 'prometheus_url',
  SEQPULSE_PRE_RANGE: 'pre_range',
  SEQPULSE_SQL_URL: 'sql_url',
  SEQPULSE_SOURCE_COMMAND: 'source_command',
  SEQPULSE_SOURCE_TOKEN: 'source_token',
  SEQPULSE_PUSHGATEWAY: 'pushgateway',
  SEQPULSE_INSECURE: 'insecure',
};
/** Read elsewhere (which file to load, colours), listed so they are not reported as unknown. */
export const OTHER_ENV_VARS = new Set(['SEQPULSE_CONFIG']);

export const FLAG_FOR: Record<keyof FlagValues, keyof Settings> = {
  endpoint: 'endpoints',
  secret: 'secret',
  project: 'project',
  env: 'env',
  preSamples: 'pre_samples',
  interval: 'interval',
  window: 'window',
  timeout: 'timeout',
  retries: 'retries',
  failOn: 'fail_on',
  onStoreError: 'on_store_error',
  store: 'store',
  sync: 'sync',
  storeTimeout: 'store_timeout',
  syncTimeout: 'sync_timeout',
  killGrace: 'kill_grace',
  logFormat: 'log_format',
  settle: 'settle',
  earlyExit: 'early_exit',
  persist: 'persist',
  onEndpointFailure: 'on_endpoint_failure',
  baseline: 'baseline',
  historyRuns: 'history_runs',
  dryRun: 'dry_run',
  source: 'source',
  query: 'queries',
  prometheusUrl: 'prometheus_url',
  preRange: 'pre_range',
  sqlUrl: 'sql_url',
  sourceCommand: 'source_command',
  sourceToken: 'source_token',
  pushgateway: 'pushgateway',
  insecure: 'insecure',
};


/** The command-line flag that sets a settings key, if there is one (`pre_samples` -> `--pre-samples`). */
export function flagOf(key: string): string | undefined {
  if (key === 'early_exit') return '--no-early-exit';
  return Object.values(FLAG_FOR).includes(key as keyof Settings) ? `--${flagName(key)}` : undefined;
}

function flagName(key: string): string {
  const flag = (Object.entries(FLAG_FOR) as [string, string][]).find(([, k]) => k === key)?.[0] ?? key;
  return flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

