// `npm run test:native`: builds with CMake (scripts/build-cmake.mjs) and runs the C++ unit
// tests with ctest, writing JUnit results to .test-results/ctest.xml. Exits with ctest's code.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const build = spawnSync(npm, ['run', 'build:cmake'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const results = path.join(root, '.test-results');
mkdirSync(results, { recursive: true });
const ctest = spawnSync(
  'ctest',
  ['--test-dir', path.join(root, 'build-cmake'), '--output-on-failure', '--output-junit', path.join(results, 'ctest.xml'), '-j2'],
  { cwd: root, stdio: 'inherit' },
);
if (ctest.error) {
  console.error(`test-native: could not run ctest: ${ctest.error.message}`);
  process.exit(1);
}
process.exit(ctest.status ?? 1);
