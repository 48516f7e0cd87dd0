#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in build/. Kept as plain JS so `npx seqpulse` needs no loader.
import('../build/src/cli/main.js').then((m) => m.main(process.argv.slice(2)));
