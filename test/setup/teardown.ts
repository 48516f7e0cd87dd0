/**
 * vitest 4 logs an error thrown by a global teardown ("error during close") and still exits 0
 * (fixed in vitest 5, vitest-dev/vitest#10794, which needs Node 22). Every global setup of this
 * suite returns its teardown through this wrapper, so a teardown that fails fails the run.
 */
export function teardownThatFails(teardown: () => Promise<void> | void): () => Promise<void> {
  return async () => {
    try {
      await teardown();
    } catch (err) {
      process.exitCode = 1;
      throw err;
    }
  };
}
