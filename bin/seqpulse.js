#!/usr/bin/env node
// Thin launcher: the CLI is bundled into build/cli/ by npm run build (scripts/build-cli.js; one file
// starts far faster than the compiled modules in build/src/). Plain JS so `npx seqpulse` needs no loader.
import('../build/cli/index.js').then((m) => m.main(process.argv.slice(2)));
