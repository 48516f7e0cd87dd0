/** Each command's --help: only the options that mean something to it, and examples that use only those. */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

const COMMANDS = ['run', 'start', 'finish', 'analyze', 'verdict', 'history', 'show', 'report', 'doctor', 'sync', 'prune', 'init', 'demo'];
const READ_ONLY = ['history', 'show', 'report', 'verdict', 'analyze'];

async function help(command: string): Promise<{ options: string[]; examples: string[]; text: string }> {
  const r = await runCli([command, '--help'], { cwd: tempDir() });
  expect(r.code).toBe(0);
  const [optionsPart = '', examplesPart = ''] = r.stdout.split('\nExamples:\n');
  const options = [...optionsPart.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!);
  const examples = [...examplesPart.matchAll(/^ {2}\$ (.+)$/gm)].map((m) => m[1]!);
  return { options, examples, text: r.stdout };
}

describe('help per command', () => {
  it.each(COMMANDS)('%s: two or three examples, each using only the options its help lists', async (command) => {
    const { options, examples } = await help(command);
    expect(examples.length).toBeGreaterThanOrEqual(2);
    expect(examples.length).toBeLessThanOrEqual(3);
    for (const example of examples) {
      const own = example.split(/ (?:&&|\|) /).find((part) => part.includes(`seqpulse ${command}`))!;
      expect(own, example).toBeDefined();
      for (const flag of own.split(' -- ')[0]!.match(/(?<=\s)--[\w-]+/g) ?? []) expect(options, `${example}: ${flag}`).toContain(flag);
    }
  });

  it.each(READ_ONLY)('%s, which only reads, lists no --dry-run, --sync or --sync-timeout', async (command) => {
    const { options } = await help(command);
    for (const flag of ['--dry-run', '--sync', '--sync-timeout', '--endpoint', '--window', '--pushgateway']) expect(options).not.toContain(flag);
  });

  it('--quiet listed everywhere it means something (doctor takes it as run does, unlisted), --fail-on only where it sets the exit code', async () => {
    const quiet = Object.fromEntries(await Promise.all(COMMANDS.map(async (c) => [c, (await help(c)).options] as const)));
    expect(quiet.doctor).not.toContain('--quiet');
    for (const c of ['run', 'start', 'finish', 'analyze', 'verdict', 'demo', 'history', 'show', 'report', 'sync', 'prune', 'init']) expect(quiet[c], c).toContain('--quiet');
    for (const c of ['history', 'show', 'report', 'verdict', 'sync', 'prune', 'init', 'doctor', 'demo']) expect(quiet[c], c).not.toContain('--fail-on');
    for (const c of ['run', 'start', 'finish', 'analyze']) expect(quiet[c], c).toContain('--fail-on');
  });

  it('doctor accepts the options of run it does not list, so a run\'s command line can be checked as it is', async () => {
    const { options } = await help('doctor');
    expect(options).not.toContain('--dry-run');
    const r = await runCli(['doctor', '--dry-run', '--fail-on', 'attention', '--window', '10m', '--quiet', '--json'], { cwd: tempDir() });
    expect(r.stderr).not.toMatch(/unknown option/);
    expect(JSON.parse(r.stdout).checks[0]).toMatchObject({ name: 'config', level: 'pass' });
  });

  it('an option a read-only command does not take is refused with a suggestion', async () => {
    const r = await runCli(['history', '--dry-run'], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--dry-run'/);
    const typo = await runCli(['history', '--limt', '3'], { cwd: tempDir() });
    // commander's own errors read as seqpulse's: `seqpulse: ...`, lower case, no "error: " of its own.
    expect(typo.stderr).toMatch(/^seqpulse: unknown option '--limt'\n\(did you mean --limit\?\)\n/);
    expect(typo.stderr).not.toMatch(/^error: |Did you mean/m);
    const unknown = await runCli(['frobnicate'], { cwd: tempDir() });
    expect(unknown.stderr).toMatch(/^seqpulse: unknown command 'frobnicate'/);
  });

  it('finish does not offer the PRE options (PRE is over) and refuses them, naming where they belong', async () => {
    const { options } = await help('finish');
    expect(options).not.toContain('--pre-samples');
    expect(options).not.toContain('--pre-range');
    expect(options).toContain('--window');
    for (const flag of [['--pre-samples', '3'], ['--pre-range', '10m']]) {
      const r = await runCli(['finish', 'abcd1234', ...flag], { cwd: tempDir() });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`seqpulse: finish takes no ${flag[0]}: the PRE samples were taken by \`seqpulse start\`, with the settings it stored\n  Give ${flag[0]} to start (or to run).\n`);
    }
  });

  it('report --json says which option gives JSON', async () => {
    const r = await runCli(['report', 'abcd1234', '--json'], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^seqpulse: report has no --json: the format is chosen with --format json\n {2}For the verdict as JSON on stdout: seqpulse report abcd1234 --format json -o -\n$/);
    expect((await help('report')).options).not.toContain('--json');
  });

  it('a configuration error reads like every other error: lower case, the parser\'s reasons too', async () => {
    const cwd = tempDir();
    writeFileSync(`${cwd}/seqpulse.yml`, 'windw: 5m\n');
    const r = await runCli(['history'], { cwd, env: { SEQPULSE_PRE_SAMPLES: 'many' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^seqpulse: invalid configuration:\n {2}.*seqpulse\.yml:1: windw: unknown key \(did you mean window\?\)\n {2}environment: SEQPULSE_PRE_SAMPLES: "many" is not a number \(write it in digits, e\.g\. 12\)\n$/);
  });
});
