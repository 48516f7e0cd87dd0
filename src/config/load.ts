/**
 * The I/O edge of config: finds and reads the file, then hands everything to the pure resolver.
 */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { readConfigFile } from './file.js';
import { resolveConfig, type FlagValues, type ResolvedConfig } from './resolve.js';

export const CONFIG_NAMES = ['seqpulse.yml', 'seqpulse.yaml'];

export interface LoadOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  flags: FlagValues;
  /** --config FILE; an explicit file must exist, the default one is optional. */
  configPath?: string;
  /** See ResolveInput.timingLater. */
  timingLater?: boolean;
}

export async function loadConfig(opts: LoadOptions): Promise<ResolvedConfig> {
  const explicit = opts.configPath ?? nonEmpty(opts.env.SEQPULSE_CONFIG);
  const path = explicit ?? CONFIG_NAMES.find((name) => existsSync(resolve(opts.cwd, name)));
  const file = path === undefined ? undefined : await readConfigFile(resolve(opts.cwd, path)).then((f) => ({ ...f, path }));
  return resolveConfig({ file, env: opts.env, flags: opts.flags, defaultProject: basename(opts.cwd) || 'default', ...(opts.timingLater ? { timingLater: true } : {}) });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
