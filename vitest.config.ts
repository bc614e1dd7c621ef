import os from 'node:os';
import { defineConfig } from 'vitest/config';
import { ALL_TESTS, INTEGRATION_TESTS } from './test/projects.mjs';

// Two projects, both run by `vitest run` (and so by `npm test`); test/projects.mjs says which
// file goes where. `vitest run --project unit` (`npm run test:unit`) is the fast loop.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    // Forks, not threads: the native addon holds fds and mappings per process.
    pool: 'forks',
    // vitest's run-mode default is one fork less than the CPUs: a single fork on a 2-core CI
    // machine, where most integration files spend their time waiting on child processes and
    // sockets. Two forks there; the default elsewhere.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ALL_TESTS,
          exclude: INTEGRATION_TESTS,
          // Unit tests import src/ directly and run no process: no dist/ build, no system tools.
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: INTEGRATION_TESTS,
          // Builds dist/ when src/ changed (tests run bin/sluice.js as a child process), and
          // installs the Debian tools the integration tests drive when they are missing.
          globalSetup: ['./test/setup/build-dist.ts', './test/setup/system-tools.ts'],
        },
      },
    ],
  },
});
