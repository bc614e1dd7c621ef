import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Forks, not threads: the native addon holds fds and mappings per process.
    pool: 'forks',
    // Builds dist/ when src/ changed, for tests that run bin/sluice.js as a child process.
    globalSetup: ['./test/setup/build-dist.ts'],
  },
});
