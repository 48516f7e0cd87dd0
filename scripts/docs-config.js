// npm run docs:config — writes docs/configuration.md and docs/seqpulse.schema.json from the zod schema.
import { writeFileSync } from 'node:fs';
import { configJsonSchema, configReference } from '../build/src/config/reference.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), configReference());
writeFileSync(new URL('../docs/seqpulse.schema.json', import.meta.url), configJsonSchema());
console.log('wrote docs/configuration.md and docs/seqpulse.schema.json');
