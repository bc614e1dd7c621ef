import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Forks, not threads: the native addon holds fds and mappings per process.
    pool: 'forks',
    // Builds dist/ when src/ changed (tests run bin/sluice.js as a child process), and installs
    // the Debian tools the integration tests drive when they are missing.
    globalSetup: ['./test/setup/build-dist.ts', './test/setup/system-tools.ts'],
  },
});
