/** The configuration reference and JSON Schema are generated from the zod schema: current, and usable by editors. */
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, configReference } from '../../src/config/reference.js';
import { SettingsSchema } from '../../src/config/schema.js';
import { STARTER_CONFIG } from '../../src/config/starter.js';

const read = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

describe('configuration reference', () => {
  it('the committed docs/configuration.md and docs/seqpulse.schema.json are what the schema generates (run `npm run docs:config`)', () => {
    expect(read('configuration.md')).toBe(configReference());
    expect(read('seqpulse.schema.json')).toBe(configJsonSchema());
  });

  it('documents every settings key with a description', () => {
    const doc = configReference();
    for (const key of Object.keys(SettingsSchema.shape)) expect(doc).toMatch(new RegExp(`\\| \`${key}\` \\|[^\\n]*\\| [A-Z][^|\\n]+ \\|\\n`));
  });

  it('the JSON Schema accepts the starter file and an environment override, and rejects unknown keys and bad values', () => {
    const ajv = new Ajv2020.default({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(configJsonSchema()));
    expect(validate(parse(STARTER_CONFIG)), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ project: 'shop', window: '15m', environments: { prod: { window: 900, fail_on: 'attention' } }, metrics: { orders: { direction: 'decrease', threshold: 30 } } })).toBe(true);
    expect(validate({ projcet: 'shop' })).toBe(false);
    expect(validate({ fail_on: 'sometimes' })).toBe(false);
    expect(validate({ metrics: { error_rate: { threshold: -5 } } })).toBe(false);
    expect(validate({ environments: { prod: { env: 'x' } } })).toBe(false);
  });
});
