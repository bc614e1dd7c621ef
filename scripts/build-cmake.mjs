// `npm run build:cmake`: the CMake build of the addon and the C++ unit tests, via cmake-js,
// into build-cmake/. cmake-js would download Node headers unless told where local ones are:
// point it (through the npm `nodedir` setting it reads) at the headers that ship with the
// running node, so the build works offline and matches the node that will load the addon.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nodePrefix = path.resolve(path.dirname(process.execPath), '..');
const env = { ...process.env };
if (existsSync(path.join(nodePrefix, 'include', 'node', 'node_api.h'))) {
  env.npm_config_nodedir = nodePrefix;
} else {
  console.warn(`build-cmake: no Node headers under ${nodePrefix}; cmake-js may download them`);
}

const require = createRequire(import.meta.url);
const cmakeJs = path.join(path.dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
const args = [cmakeJs, 'compile', '--out', 'build-cmake', '--parallel', '2', ...process.argv.slice(2)];
const result = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
process.exit(result.status ?? 1);
