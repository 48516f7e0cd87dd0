/** `seqpulse init`: writes the commented starter seqpulse.yml. */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { STARTER_CONFIG } from '../../config/starter.js';
import { UsageError } from '../../errors.js';

export async function initCommand(flags: { force?: boolean; path?: string }): Promise<number> {
  const path = resolve(process.cwd(), flags.path ?? 'seqpulse.yml');
  try {
    await writeFile(path, STARTER_CONFIG, { flag: flags.force ? 'w' : 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`${path} already exists`, 'Use --force to overwrite it.');
    throw new UsageError(`${path}: cannot be written (${code ?? String(err)})`);
  }
  process.stderr.write(`Wrote ${path}. Set SEQPULSE_HMAC_SECRET and adjust endpoints:, check everything with \`seqpulse doctor\`, then deploy through \`seqpulse run -- <your deploy command>\`.\n`);
  return 0;
}
