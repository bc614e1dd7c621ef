#!/usr/bin/env node
// Builds the prebuilt addons the package ships: prebuilds/<platform>-<arch>/sluice.glibc.node,
// found at install and at load by node-gyp-build (docs/packaging.md). Run by `prepack` (so
// `npm pack` and `npm publish` ship binaries of the current sources) and by the packaging test.
//
//   node scripts/prebuild.mjs                      # every target this host builds: linux-x64 and,
//                                                  # cross-compiled, linux-arm64
//   node scripts/prebuild.mjs --targets host       # only this machine's platform
//   node scripts/prebuild.mjs --targets linux-arm64 --jobs 2
//
// - One binary per platform serves every Node version: the addon uses Node-API only
//   (NAPI_VERSION in binding.gyp), and the zlib it calls is the one every Node binary exports.
// - Each target builds with prebuildify in its own directory under build-prebuilds/, so neither
//   the checkout's build/Release (what development and the tests load) nor another target's
//   objects are touched.
// - Headers: the running Node's own (npm_config_nodedir), as `npm install` builds here. Nothing
//   is downloaded.
// - prebuilds/<target>/SOURCES.sha256 records the hash of what the binary was built from
//   (binding.gyp, native/src, native/third_party, node-addon-api's version): a target whose
//   hash matches is not rebuilt, and the packaging test checks the packed binaries against it.
// - linux-arm64 is cross-compiled with Debian's g++-aarch64-linux-gnu (aarch64-linux-gnu-g++);
//   where it is missing this stops and says so, unless --targets leaves linux-arm64 out.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** What each target needs: the cross toolchain's prefix ('' builds with the host's compiler). */
const TARGETS = {
  'linux-x64': { platform: 'linux', arch: 'x64', elfMachine: 0x3e, crossPrefix: 'x86_64-linux-gnu-' },
  'linux-arm64': { platform: 'linux', arch: 'arm64', elfMachine: 0xb7, crossPrefix: 'aarch64-linux-gnu-' },
};
const HOST = `${process.platform}-${process.arch}`;
export const PREBUILD_NAME = 'sluice';
export const SOURCES_FILE = 'SOURCES.sha256';

function args() {
  const argv = process.argv.slice(2);
  const value = (flag) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const requested = value('--targets') ?? (HOST === 'linux-x64' ? 'linux-x64,linux-arm64' : 'host');
  const targets = requested.split(',').map((t) => (t === 'host' ? HOST : t));
  const jobs = Number(value('--jobs') ?? process.env.JOBS ?? os.availableParallelism());
  return { targets: [...new Set(targets)], jobs };
}

function listFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out;
}

/** Hash of everything the addon is compiled from (paths and contents). */
export function nativeSourcesHash() {
  const hash = createHash('sha256');
  const files = [path.join(root, 'binding.gyp'), ...listFiles(path.join(root, 'native', 'src')), ...listFiles(path.join(root, 'native', 'third_party'))];
  for (const file of files.sort()) {
    hash.update(path.relative(root, file).split(path.sep).join('/')).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  hash.update(`node-addon-api@${require('node-addon-api/package.json').version}`);
  return hash.digest('hex');
}

/** The running Node's headers (include/node/node_api.h under its prefix), never a download. */
function nodeHeadersDir() {
  const candidates = [process.env.npm_config_nodedir, path.resolve(path.dirname(process.execPath), '..')].filter(Boolean);
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h')));
  if (found === undefined) {
    throw new Error(`no Node headers found (looked for include/node/node_api.h under ${candidates.join(', ')}); set npm_config_nodedir`);
  }
  return found;
}

function hasCommand(name) {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A staging directory that sees the sources through symlinks and keeps its own build/. */
function stage(target) {
  const dir = path.join(root, 'build-prebuilds', target);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(root, 'binding.gyp'), path.join(dir, 'binding.gyp'));
  const link = path.join(dir, 'native');
  if (!fs.existsSync(link)) fs.symlinkSync(path.join(root, 'native'), link, 'dir');
  return dir;
}

async function build(target, jobs) {
  const spec = TARGETS[target];
  if (spec === undefined) throw new Error(`unknown target ${target} (known: ${Object.keys(TARGETS).join(', ')})`);
  const cross = target !== HOST;
  if (cross && !hasCommand(`${spec.crossPrefix}g++`)) {
    throw new Error(
      `${target}: the cross compiler ${spec.crossPrefix}g++ is missing (Debian: apt-get install g++-${spec.crossPrefix.slice(0, -1)}); ` +
        'or leave the target out: --targets host',
    );
  }
  const tool = (name) => (cross ? `${spec.crossPrefix}${name}` : name);
  const env = {
    ...process.env,
    npm_config_nodedir: nodeHeadersDir(),
    JOBS: String(jobs),
    ...(cross ? { CC: tool('gcc'), CXX: tool('g++'), LINK: tool('g++'), AR: tool('ar') } : {}),
  };
  const cwd = stage(target);
  const prebuildify = require('prebuildify');
  const nodeGyp = path.join(path.dirname(require.resolve('node-gyp/package.json')), 'bin', 'node-gyp.js');
  // prebuildify reads its options' defaults and the compiler from the environment.
  const saved = process.env;
  process.env = env;
  try {
    await new Promise((resolve, reject) =>
      prebuildify(
        {
          cwd,
          out: root,
          name: PREBUILD_NAME,
          napi: true,
          targets: [{ runtime: 'node', target: process.versions.node }],
          platform: spec.platform,
          arch: spec.arch,
          tagLibc: true,
          libc: 'glibc',
          strip: true,
          stripBin: tool('strip'),
          nodeGyp: `${process.execPath} ${nodeGyp}`,
          shell: true,
        },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  } finally {
    process.env = saved;
  }
  const file = path.join(root, 'prebuilds', target, `${PREBUILD_NAME}.glibc.node`);
  const machine = fs.readFileSync(file).readUInt16LE(18);
  if (machine !== spec.elfMachine) throw new Error(`${file}: ELF machine 0x${machine.toString(16)}, expected 0x${spec.elfMachine.toString(16)}`);
  if (!cross) execFileSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { stdio: 'inherit' });
  return file;
}

async function main() {
  const { targets, jobs } = args();
  const hash = nativeSourcesHash();
  for (const target of targets) {
    const stampFile = path.join(root, 'prebuilds', target, SOURCES_FILE);
    const binary = path.join(root, 'prebuilds', target, `${PREBUILD_NAME}.glibc.node`);
    if (fs.existsSync(binary) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8').trim() === hash) {
      console.log(`prebuild ${target}: up to date`);
      continue;
    }
    const startedAt = Date.now();
    fs.rmSync(path.join(root, 'prebuilds', target), { recursive: true, force: true });
    console.log(`prebuild ${target}: building (${jobs} jobs)…`);
    const file = await build(target, jobs);
    fs.writeFileSync(stampFile, `${hash}\n`);
    console.log(`prebuild ${target}: ${path.relative(root, file)} (${fs.statSync(file).size} bytes, ${((Date.now() - startedAt) / 1000).toFixed(0)} s)`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`prebuild: ${err.message}`);
    process.exit(1);
  });
}
