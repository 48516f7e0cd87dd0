/**
 * `seqpulse run` in a GitHub Actions `run:` step: the runner reads the step's stdout and stderr for
 * workflow commands (output/terminal.ts, `inertToRunner`). What seqpulse writes there quotes text
 * from outside (an endpoint's redirect target, its error text, a stored row of a shared store): an
 * app answering with `##[add-mask]` in a Location header blanked out the job's log, `::stop-commands::`
 * would silence every annotation after it. The Action makes its own lines inert; the CLI does the same
 * for what it writes itself. The deploy command writes to the descriptors directly, never through
 * these streams: its `::group::` and `::warning::` stay the runner's to obey, as in any `run:` step.
 */
import { fstatSync } from 'node:fs';
import { inertToRunner } from '../output/terminal.js';

type Write = NodeJS.WriteStream['write'];

/** Under GitHub Actions, `streams` (stdout, stderr) write no workflow command; a stream redirected to a file (`>> $GITHUB_STEP_SUMMARY`) is left as it is: the runner does not read it. */
export function inertToRunnerLog(env: NodeJS.ProcessEnv, ...streams: NodeJS.WriteStream[]): void {
  if (env.GITHUB_ACTIONS !== 'true') return;
  for (const stream of streams) {
    if (writesToFile(stream)) continue;
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? inertToRunner(chunk) : chunk, ...rest)) as Write;
  }
}

function writesToFile(stream: NodeJS.WriteStream): boolean {
  const fd = (stream as { fd?: number }).fd;
  if (typeof fd !== 'number') return false;
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}
