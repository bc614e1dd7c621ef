// Installs the comparison stores of `npm run bench` into bench/node_modules, on demand.
//
// They are NOT dependencies of sluice: they live in bench/package.json (private, own lockfile).
// Nothing here may download anything from outside the npm registry, so:
//   1. `npm install --ignore-scripts`: no package install script runs. lmdb loads its prebuilt
//      binary from @lmdb/lmdb-linux-x64 (an npm package), classic-level and sodium-native
//      (hypercore) ship their prebuilds inside their npm tarballs and find them at run time.
//   2. better-sqlite3's install script is `prebuild-install || node-gyp rebuild`, and
//      prebuild-install downloads from GitHub: we never run it. Instead we build it from source
//      (it bundles the SQLite amalgamation) with the node-gyp sluice already depends on,
//      against the local Node headers (--nodedir), so node-gyp doesn't fetch headers either.
// A failure is reported and the bench goes on with whatever loads (see loadStores in run.mjs).
//
// The broker section's librdkafka clients (bench/rdkafka/*.c) are built here too, by
// buildRdkafkaDrivers: Debian's librdkafka-dev is installed with apt-get when its header is
// missing (as root, or with passwordless sudo), then each driver is compiled with `cc -O2` into
// bench/rdkafka/build/ (gitignored) when its binary is older than its sources.
//
// Usage: node bench/setup.mjs [--force]     (also run by bench/run.mjs unless BENCH_NO_SETUP=1)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(benchDir, '..');
const stampFile = path.join(benchDir, 'node_modules', '.sluice-bench-setup');

function stampOf() {
  const h = createHash('sha256');
  for (const f of ['package.json', 'package-lock.json']) {
    const p = path.join(benchDir, f);
    if (fs.existsSync(p)) h.update(fs.readFileSync(p));
  }
  h.update(process.version);
  return h.digest('hex');
}

function run(cmd, args, cwd, env = {}) {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Where Node's own headers are (a Node install has <prefix>/include/node), so node-gyp downloads none. */
function localNodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}

function buildBetterSqlite3(log) {
  const dir = path.join(benchDir, 'node_modules', 'better-sqlite3');
  if (!fs.existsSync(dir)) return;
  if (fs.existsSync(path.join(dir, 'build', 'Release', 'better_sqlite3.node'))) return;
  const nodeDir = localNodeDir();
  if (nodeDir === null) {
    log('better-sqlite3: no local Node headers found; not building it (node-gyp would download them)');
    return;
  }
  let nodeGyp;
  try {
    nodeGyp = createRequire(path.join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    log('better-sqlite3: node-gyp not found in the main package; skipping');
    return;
  }
  log('better-sqlite3: building from source (bundled SQLite; about a minute on 2 cores)…');
  const r = run(process.execPath, [nodeGyp, 'rebuild', '--release', `--nodedir=${nodeDir}`, '-j', '2'], dir);
  fs.writeFileSync(path.join(benchDir, 'node_modules', '.better-sqlite3-build.log'), r.out);
  if (!r.ok) log('better-sqlite3: build failed (see bench/node_modules/.better-sqlite3-build.log); it will be skipped');
}

export function setup({ force = false, log = (m) => process.stderr.write(`[bench:setup] ${m}\n`) } = {}) {
  const stamp = stampOf();
  if (!force && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return true;
  log('installing comparison stores into bench/node_modules (npm registry only, --ignore-scripts)…');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // `npm install` (it follows bench/package-lock.json), not `npm ci`: npm ci rejects this lockfile
  // because platform packages of msgpackr-extract (an optional dependency of lmdb) are absent.
  const args = ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'];
  const r = run(npm, args, benchDir, { npm_config_build_from_source: 'true' });
  if (!r.ok) {
    log(`npm ${args[0]} failed; the bench runs with the stores that load:\n${r.out.split('\n').slice(-12).join('\n')}`);
    return false;
  }
  buildBetterSqlite3(log);
  fs.writeFileSync(stampFile, stamp);
  return true;
}

const rdkafkaDir = path.join(benchDir, 'rdkafka');
const RDKAFKA_HEADER = '/usr/include/librdkafka/rdkafka.h';
export const RDKAFKA_DRIVERS = ['producer', 'consumer'];

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** apt-get install, as root or through passwordless sudo; throws with what to install otherwise. */
function aptInstall(packages, log) {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!asRoot && !have('sudo')) throw new Error(`${packages.join(' ')} is not installed and this user cannot run apt-get`);
  const prefix = asRoot ? [] : ['sudo', '-n'];
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => {
    const argv = [...prefix, 'apt-get', ...args];
    const r = run(argv[0], argv.slice(1), root, env);
    if (!r.ok) throw new Error(`${argv.join(' ')} failed:\n${r.out.split('\n').slice(-8).join('\n')}`);
  };
  log(`installing ${packages.join(' ')} with apt-get…`);
  apt(['update', '-qq']);
  apt(['install', '-y', '-qq', '--no-install-recommends', ...packages]);
}

/**
 * The librdkafka producer and consumer of the broker section, built when missing or stale.
 * Returns { producer, consumer } paths; throws when librdkafka-dev cannot be had or cc fails.
 * With `install: false` a missing librdkafka-dev is an error instead of an apt-get.
 */
export function buildRdkafkaDrivers({ install = true, log = (m) => process.stderr.write(`[bench:setup] ${m}\n`) } = {}) {
  if (!fs.existsSync(RDKAFKA_HEADER)) {
    if (!install) throw new Error(`${RDKAFKA_HEADER} is missing: install librdkafka-dev (or run npm run bench:setup)`);
    aptInstall(['librdkafka-dev'], log);
    if (!fs.existsSync(RDKAFKA_HEADER)) throw new Error(`installing librdkafka-dev did not provide ${RDKAFKA_HEADER}`);
  }
  if (!have('cc')) throw new Error('no C compiler (cc) to build the librdkafka drivers');
  const buildDir = path.join(rdkafkaDir, 'build');
  fs.mkdirSync(buildDir, { recursive: true });
  const header = path.join(rdkafkaDir, 'common.h');
  const paths = {};
  for (const name of RDKAFKA_DRIVERS) {
    const source = path.join(rdkafkaDir, `${name}.c`);
    const binary = path.join(buildDir, name);
    const newest = Math.max(fs.statSync(source).mtimeMs, fs.statSync(header).mtimeMs);
    if (!fs.existsSync(binary) || fs.statSync(binary).mtimeMs < newest) {
      const r = run('cc', ['-O2', '-Wall', '-o', binary, source, '-lrdkafka'], rdkafkaDir);
      if (!r.ok) throw new Error(`cc ${name}.c failed:\n${r.out.split('\n').slice(-12).join('\n')}`);
    }
    paths[name] = binary;
  }
  return paths;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let ok = setup({ force: process.argv.includes('--force') });
  try {
    buildRdkafkaDrivers();
  } catch (err) {
    process.stderr.write(`[bench:setup] librdkafka drivers: ${err.message}\n`);
    ok = false;
  }
  process.exitCode = ok ? 0 : 1;
}
