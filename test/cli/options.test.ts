import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';

describe('the core output options (SPEC 3)', () => {
  it('every command takes --json, --quiet, --no-color and --log-format, so one set of flags works across a pipeline', () => {
    const program = buildProgram(() => undefined);
    expect(program.commands.length).toBeGreaterThanOrEqual(13);
    for (const command of program.commands) {
      const longs = command.options.map((o) => o.long);
      for (const option of ['--json', '--quiet', '--no-color', '--log-format']) expect(longs, `${command.name()} ${option}`).toContain(option);
    }
  });
});
