// npm run build:action — the GitHub Action's bundle in dist/: the compiled Action (build/src/action)
// and everything it imports in one ESM file by @vercel/ncc, plus sql.js (SQLite in WebAssembly, the
// build with the engine inlined) as a plain CommonJS file next to it: webpack breaks sql.js's module
// detection, so it is loaded at run time (src/store/sqljs.ts). Deterministic: CI rebuilds dist/ and
// fails when the committed one differs.
import { copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { bundle } from './bundle.js';

const require = createRequire(import.meta.url);
bundle('build/src/action/index.js', 'dist');
copyFileSync(require.resolve('sql.js/dist/sql-wasm-inline.js'), 'dist/sql-wasm.cjs');
