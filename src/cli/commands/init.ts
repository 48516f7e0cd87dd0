/** `seqpulse init`: writes the commented starter seqpulse.yml. */
import { resolve } from 'node:path';
import { STARTER_CONFIG } from '../../config/starter.js';
import { UsageError } from '../../errors.js';
import { writeTextAtomic } from '../../files.js';
import { forTerminal } from '../../output/terminal.js';
import { createConsole } from '../context.js';
import type { OutputFlags } from '../options.js';

export async function initCommand(flags: OutputFlags & { force?: boolean; path?: string }): Promise<number> {
  const console = createConsole(flags);
  const path = resolve(process.cwd(), flags.path ?? 'seqpulse.yml');
  try {
    // Whole or not at all: a full disk leaves no half seqpulse.yml (which the next init would refuse to overwrite).
    await writeTextAtomic(path, STARTER_CONFIG, { overwrite: flags.force === true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`${path} already exists`, 'Use --force to overwrite it.');
    if (code === 'EISDIR') throw new UsageError(`${path}: is a directory`, 'Give --path a file name, e.g. --path deploy/seqpulse.yml.');
    const full = code === 'ENOSPC' || code === 'EFBIG' || code === 'EDQUOT';
    throw new UsageError(`${path}: cannot be written (${code ?? String(err)})`, full ? 'The disk (or the file size limit) is full: free some space, or write it elsewhere with --path. Nothing was left half written.' : 'Check that the directory exists and is writable, or write it elsewhere with --path.');
  }
  if (console.json) console.stdout(JSON.stringify({ path }));
  if (console.json || console.quiet) return 0;
  const next = `Wrote ${path}. Set SEQPULSE_HMAC_SECRET and adjust endpoints:, check everything with \`seqpulse doctor\`, then deploy through \`seqpulse run -- <your deploy command>\`.`;
  if (console.logFormat === 'json') console.logger.log('info', 'config_written', next, { path });
  // The path is the user's text: escaped like every other line that reaches the terminal.
  else process.stderr.write(forTerminal(`${next}\n`, false));
  return 0;
}
