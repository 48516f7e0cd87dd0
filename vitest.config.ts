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
    // A guard against a test that hangs, not a speed bound (benchmarks measure speed): a test that
    // starts ten CLI processes takes 7 s here and timed out at 30 s on a runner loaded four times over.
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
