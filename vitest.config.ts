import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Forks, not threads: the native addon holds fds and mappings per process.
    pool: 'forks',
  },
});
