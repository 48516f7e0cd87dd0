/** `seqpulse doctor`: a checklist of what a run needs, with fixes. Exit 0: nothing failed; 2: a run would stop at a configuration error; 1: another check failed. */
import { doctorExitCode, runDoctor, type Check } from '../../app/doctor.js';
import { ConfigError } from '../../errors.js';
import { createSource } from '../../sources/factory.js';
import { openStore } from '../../store/open.js';
import { userAgent } from '../../version.js';
import { createConsole, resolveCommandConfig } from '../context.js';
import type { CommandFlags } from '../options.js';
import { escapeControls } from '../../output/terminal.js';

export async function doctorCommand(flags: CommandFlags): Promise<number> {
  const console = createConsole(flags);
  let checks: Check[];
  try {
    const config = await resolveCommandConfig(flags, console);
    checks = [
      { name: 'config', level: 'pass', detail: `${config.configFile ?? 'no config file (flags, environment, defaults)'}; project ${config.project}, env ${config.env}` },
      // JSON keeps the details whole (validly encoded); the lines for people are bounded.
      ...(await runDoctor({ config, source: (c) => createSource(c, userAgent()), openStore: (location) => openStore(location, { timeoutMs: config.storeTimeoutMs }), full: console.json })),
    ];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    checks = [{ name: 'config', level: 'fail', blocking: true, detail: err.message.replace(/:\n\s*/, ': ').replace(/\n\s*/g, '; '), fix: err.hint ?? 'Fix the keys above; `seqpulse init` writes a commented starter file.' }];
  }
  const code = doctorExitCode(checks);
  if (console.json) {
    console.stdout(JSON.stringify({ ok: code === 0, exit_code: code, checks }, null, 2));
    return code;
  }
  const c = console.out;
  const mark = { pass: c.green('✔'), warn: c.yellow('!'), fail: c.red('✖') };
  // Details quote servers (error texts) and apps (metric names), already bounded (app/doctor.ts): escaped, never cut here.
  const shown = checks.map((k) => ({ ...k, name: escapeControls(k.name), detail: escapeControls(k.detail), ...(k.fix ? { fix: escapeControls(k.fix) } : {}) }));
  const width = Math.max(...shown.map((k) => k.name.length));
  const lines = shown.flatMap((k) => [`${mark[k.level]} ${k.name.padEnd(width)}  ${k.detail}`, ...(k.fix && k.level !== 'pass' ? [`  ${' '.repeat(width)}  ${c.dim(`fix: ${k.fix}`)}`] : [])]);
  const failed = checks.filter((k) => k.level === 'fail').length;
  const warned = checks.filter((k) => k.level === 'warn').length;
  const warnings = warned === 0 ? '' : ` ${warned} warning(s) to look at above.`;
  const last =
    failed > 0 ? c.red(`${failed} check(s) failed${code === 2 ? ': a run would stop before deploying (configuration error, exit 2)' : ''}.${warnings}`)
    : warned > 0 ? c.yellow(`No check failed.${warnings}`)
    : c.green('All checks passed.');
  console.stdout([...lines, '', last].join('\n'));
  return code;
}
