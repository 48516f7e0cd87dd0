/** The example workflows and the README use only inputs and outputs action.yml declares, with valid values. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown>; outputs: Record<string, unknown>; runs: Record<string, string> };
const DIR = join(ROOT, 'examples/workflows');

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
}

function seqpulseSteps(workflow: { jobs: Record<string, { steps: Step[] }> }): Step[] {
  return Object.values(workflow.jobs).flatMap((job) => job.steps.filter((s) => s.uses?.startsWith('seqpulse/seqpulse@')));
}

describe('action.yml', () => {
  it('runs the committed bundle on node24 and declares the outputs the Action sets', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    const source = readFileSync(join(ROOT, 'src/action/main.ts'), 'utf8');
    const set = [...source.matchAll(/core\.setOutput\('([\w-]+)'/g)].map((m) => m[1]);
    expect(new Set(set)).toEqual(new Set(Object.keys(action.outputs)));
    const read = readFileSync(join(ROOT, 'src/action/inputs.ts'), 'utf8');
    const inputs = [...read.matchAll(/(?:text|bool|getMultilineInput)\('([\w-]+)'/g)].map((m) => m[1]);
    expect(new Set(inputs)).toEqual(new Set(Object.keys(action.inputs)));
  });

  it('every input and output is described in the README', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const name of [...Object.keys(action.inputs), ...Object.keys(action.outputs)]) expect(readme, name).toContain(`\`${name}\``);
  });
});

describe.each(readdirSync(DIR).filter((f) => f.endsWith('.yml')))('examples/workflows/%s', (file) => {
  const workflow = parse(readFileSync(join(DIR, file), 'utf8')) as { jobs: Record<string, { steps: Step[] }> };

  it('uses the Action with declared inputs only, and a valid mode', () => {
    const steps = seqpulseSteps(workflow);
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) {
      for (const key of Object.keys(step.with ?? {})) expect(Object.keys(action.inputs), `${file}: input ${key}`).toContain(key);
      expect(['run', 'start', 'finish']).toContain(step.with?.mode ?? 'run');
      if ((step.with?.mode ?? 'run') === 'run') expect(step.with?.command, `${file}: mode run needs command`).toBeTruthy();
      if (step.with?.mode === 'finish') expect(step.with?.['deployment-id'], `${file}: finish needs deployment-id`).toBeTruthy();
    }
  });

  it('reads only declared outputs of its seqpulse steps', () => {
    const text = readFileSync(join(DIR, file), 'utf8');
    for (const m of text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) expect(Object.keys(action.outputs), `${file}: ${m[0]}`).toContain(m[2]);
  });
});
