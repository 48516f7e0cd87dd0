import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/postgres.ts'],
    reporters: ['default', './test/setup/skipped-tools-reporter.ts'],
    pool: 'forks',
    // Most files wait on servers, timers and child processes, not on the CPU: three at a time on a
    // 2-core runner take well under half the time of one at a time (measured in .ci/run).
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
