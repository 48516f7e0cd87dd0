// Part of npm run build (after tsc): the CLI and everything it imports in one ESM file,
// build/cli/index.js (the commands it loads lazily in chunks beside it), by @vercel/ncc. Measured:
// a Node process loading hundreds of small module files (kysely alone is over 300) spent ~0.4 s of
// CPU before doing anything; from the bundle `seqpulse run` starts with 40% less CPU (bench/README.md).
// better-sqlite3 stays in node_modules: its native addon is built for the machine that installs it.
// The bundled packages' licences go to build/cli/licenses.txt.
import { bundle } from './bundle.js';

bundle('build/src/cli/main.js', 'build/cli', ['better-sqlite3']);
