/**
 * The configuration reference, generated from the one zod schema so it cannot drift: a JSON Schema
 * for editor completion of seqpulse.yml, and a Markdown table of every key with its environment
 * variable and flag. `npm run docs:config` writes both under docs/; a test checks they are current.
 */
import { z } from 'zod';
import { DEFAULT_RULES } from '../core/rules.js';
import { ACTION_INPUTS, ENV_VARS, flagOf } from './names.js';
import { FileSchema, RuleSchema, SettingsSchema } from './schema.js';

export function configJsonSchema(): string {
  const schema = z.toJSONSchema(FileSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, $id: 'https://github.com/seqpulse/seqpulse/docs/seqpulse.schema.json', title: 'seqpulse.yml' }, null, 2)}\n`;
}

export function configReference(): string {
  const envOf = (key: string) => Object.entries(ENV_VARS).filter(([, k]) => k === key).map(([name]) => `\`${name}\``).join(', ') || '—';
  const row = (key: string, schema: z.ZodType, extra: string[]) => `| ${[`\`${key}\``, typeOf(schema), ...extra, escape(describe(schema))].join(' | ')} |`;
  const inputOf = (key: string) => (ACTION_INPUTS[key as keyof typeof ACTION_INPUTS] ? `\`${ACTION_INPUTS[key as keyof typeof ACTION_INPUTS]}\`` : '—');
  const settings = Object.entries(SettingsSchema.shape).map(([key, schema]) => row(key, schema as z.ZodType, [envOf(key), flagOf(key) ? `\`${flagOf(key)}\`` : '—', inputOf(key)]));
  const rules = Object.entries(RuleSchema.shape).map(([key, schema]) => row(key, schema as z.ZodType, []));
  return `<!-- Generated from src/config/schema.ts by \`npm run docs:config\`; do not edit by hand. -->
# Configuration reference

Settings come from flags, then \`SEQPULSE_*\` environment variables, then \`seqpulse.yml\` (with its
\`environments:\` overrides for the selected env), then the defaults. \`seqpulse.yml\` does not expand
environment variables: a value written \`\${NAME}\` is refused; set the setting's \`SEQPULSE_*\` variable
instead (secrets belong there anyway). Editors can complete and check
\`seqpulse.yml\` with [seqpulse.schema.json](seqpulse.schema.json): add
\`# yaml-language-server: $schema=./docs/seqpulse.schema.json\` as its first line.

## Settings

| key | type | environment | flag | Action input | description |
|---|---|---|---|---|---|
${settings.join('\n')}
| \`environments\` | map | — | — | — | ${escape(FileSchema.shape.environments.description ?? '')} |

## Metric rules (\`metrics.<name>.<key>\`)

| key | type | description |
|---|---|---|
${rules.join('\n')}

## Default rules

| metric | direction | threshold | attention | critical | other |
|---|---|---|---|---|---|
${Object.entries(DEFAULT_RULES).map(([name, r]) => `| \`${name}\` | ${r.direction} | ${r.threshold}% | ${r.attention}% | ${r.critical ? 'yes' : 'no'} | ${[r.volume ? `volume: ${r.volume}` : '', r.min_delta ? `min_delta: ${r.min_delta}` : '', r.trend ? 'trend' : '', r.aggregate !== 'mean' ? `aggregate: ${r.aggregate}` : '', r.gradual !== 'regression' ? `gradual: ${r.gradual}` : ''].filter(Boolean).join(', ') || '—'} |`).join('\n')}
`;
}

/** `.partial()` wraps each key in an optional that does not carry the description. */
function describe(schema: z.ZodType): string {
  return schema.description ?? (schema instanceof z.ZodOptional ? describe(schema.unwrap() as z.ZodType) : '');
}

function typeOf(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { type?: string | string[]; enum?: unknown[]; anyOf?: { type?: string }[] };
  if (json.enum) return json.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (json.anyOf) return json.anyOf.map((a) => a.type ?? 'value').join(' or ');
  if (Array.isArray(json.type)) return json.type.includes('number') ? 'duration' : json.type.join(' or ');
  return json.type === 'object' ? 'map' : (json.type ?? 'value');
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|');
}
