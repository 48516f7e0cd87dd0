/**
 * The secrets this process was handed before any config is read: in SEQPULSE_* variables and on its
 * command line. An error raised while reading them (an option after the deploy command, a value a
 * flag refuses) may quote the words typed; it is masked with what is known here, as everything
 * later is with the resolved config's redactions.
 */
import { ENV_VARS } from '../config/names.js';
import { tokenSecrets, urlSecrets } from '../redact.js';

/** Options whose value is a secret, as typed: `--secret s3cr3t` or `--secret=s3cr3t`. */
const SECRET_FLAGS: Readonly<Record<string, 'secret' | 'source_token'>> = { '--secret': 'secret', '--source-token': 'source_token' };

/** The secret setting an option takes (`--secret` or `--source-token`), else undefined: any other word, `constructor` included. */
export function secretFlag(word: string | undefined): 'secret' | 'source_token' | undefined {
  return word !== undefined && Object.hasOwn(SECRET_FLAGS, word) ? SECRET_FLAGS[word] : undefined;
}

export function givenSecrets(argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const secrets: string[] = [];
  const take = (setting: string | undefined, value: string) => {
    // An HMAC secret may be a rotation list, one secret a line.
    if (setting === 'secret') secrets.push(...value.split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== ''));
    else if (setting === 'source_token') secrets.push(...tokenSecrets(value.trim()));
    // Anything else may hold URLs (a store, a list of endpoints): their credentials.
    else for (const word of value.split(/[\s,]+/)) secrets.push(...urlSecrets(word));
  };
  for (const [name, setting] of Object.entries(ENV_VARS)) {
    const value = env[name];
    if (value) take(setting, value);
  }
  argv.forEach((word, i) => {
    const joined = /^(--[a-z-]+)=([\s\S]*)$/.exec(word);
    if (joined) take(secretFlag(joined[1]), joined[2]!);
    else take(secretFlag(argv[i - 1]), word);
  });
  return [...new Set(secrets)];
}
