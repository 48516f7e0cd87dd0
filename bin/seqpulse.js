#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/. Kept as plain JS so `npx seqpulse` needs no loader.
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2)));
