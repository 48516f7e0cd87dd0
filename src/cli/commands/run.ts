/** `seqpulse run [options] -- <cmd> [args...]` */
import { runCycle } from '../../app/cycle.js';
import { UsageError } from '../../errors.js';
import { requireCollection } from '../../sources/factory.js';
import { createAppIO, createConsole, resolveCommandConfig } from '../context.js';
import type { CommandFlags } from '../options.js';
import { printReport } from '../print.js';
import { storedRunSeries } from '../../app/series.js';
import { pushAfterRun } from '../push-metrics.js';
import { syncAfterRun } from './sync.js';
import { checkDeployArgs } from '../deploy-args.js';
import { checkDeployCommand } from '../../runner/command-check.js';

/** `rawArgs`: the arguments as typed from `run` on, to tell where `--` was. */
export async function runCommand(command: string[], flags: CommandFlags & { shell?: boolean }, rawArgs: readonly string[] = ['run', '--', ...command]): Promise<number> {
  const console = createConsole(flags);
  if (command.length === 0) throw new UsageError('no deploy command given', 'Put the deploy command after `--`, e.g. `seqpulse run -- kubectl apply -f k8s/`.');
  checkDeployArgs(rawArgs, command);
  // No shell unless asked for: an argv cannot be re-interpreted (no injection through a variable).
  const argv = flags.shell ? shellArgv(command.join(' ')) : command;
  // Before the config, the store and PRE: a command that cannot start is known now, not after PRE.
  await checkDeployCommand(argv, { shell: flags.shell === true, shellHint: 'add --shell (seqpulse run --shell -- \'...\')' });
  const config = await resolveCommandConfig(flags, console);
  requireCollection(config);
  const { io, dispose } = await createAppIO(config, console);
  try {
    const report = await runCycle(config, argv, io);
    await syncAfterRun(io, config.sync, report.deployment_id, console);
    await pushAfterRun(config, io, report, console);
    printReport(console, report, await storedRunSeries(io.store, report.deployment_id, config.rules));
    return report.exit_code;
  } finally {
    await dispose();
  }
}

function shellArgv(line: string): string[] {
  return process.platform === 'win32' ? [process.env.ComSpec ?? 'cmd.exe', '/d', '/s', '/c', line] : ['/bin/sh', '-c', line];
}
