/** `seqpulse doctor`: a checklist of what a run needs, with fixes; exit 0 only when nothing failed. */
import { runDoctor, type Check } from '../../app/doctor.js';
import { ConfigError } from '../../errors.js';
import { createSource } from '../../sources/factory.js';
import { openStore } from '../../store/open.js';
import { userAgent } from '../../version.js';
import { createConsole, resolveCommandConfig } from '../context.js';
import type { CommandFlags } from '../options.js';
import { displayable } from '../../output/terminal.js';

export async function doctorCommand(flags: CommandFlags): Promise<number> {
  const console = createConsole(flags);
  let checks: Check[];
  try {
    const config = await resolveCommandConfig(flags, console);
    checks = [
      { name: 'config', level: 'pass', detail: `${config.configFile ?? 'no config file (flags, environment, defaults)'}; project ${config.project}, env ${config.env}` },
      ...(await runDoctor({ config, source: (c) => createSource(c, userAgent()), openStore: (location) => openStore(location, { timeoutMs: config.storeTimeoutMs }) })),
    ];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    checks = [{ name: 'config', level: 'fail', detail: err.message.replace(/\n\s*/g, '; '), fix: err.hint ?? 'Fix the keys above; `seqpulse init` writes a commented starter file.' }];
  }
  const ok = checks.every((c) => c.level !== 'fail');
  if (console.json) {
    console.stdout(JSON.stringify({ ok, checks }, null, 2));
  } else {
    const c = console.out;
    const mark = { pass: c.green('✔'), warn: c.yellow('!'), fail: c.red('✖') };
    // Details quote servers (error texts) and apps (metric names).
    const shown = displayable(checks);
    const width = Math.max(...shown.map((k) => k.name.length));
    const lines = shown.flatMap((k) => [`${mark[k.level]} ${k.name.padEnd(width)}  ${k.detail}`, ...(k.fix && k.level !== 'pass' ? [`  ${' '.repeat(width)}  ${c.dim(`fix: ${k.fix}`)}`] : [])]);
    console.stdout([...lines, '', ok ? c.green('All checks passed.') : c.red(`${checks.filter((k) => k.level === 'fail').length} check(s) failed.`)].join('\n'));
  }
  return ok ? 0 : 1;
}
