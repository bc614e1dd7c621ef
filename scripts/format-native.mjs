#!/usr/bin/env node
// clang-format over native/ (src, test, bench, fuzz; not third_party): `npm run format:native`
// rewrites the files, `npm run format:native:check` (run by npm test) lists the files that
// would change and exits 1. The style is .clang-format at the root.
//
// clang-format's output differs between releases, so the version is pinned: Debian's
// clang-format-19 (bookworm's archive, amd64 and arm64), installed on demand like the other
// system tools (root or passwordless sudo). SLUICE_CLANG_FORMAT names another binary of the same
// major release.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall, have } from './apt-install.mjs';

const MAJOR = 19;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const DIRS = ['native/src', 'native/test', 'native/bench', 'native/fuzz'];

function versionOf(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const m = /clang-format version (\d+)\./.exec(r.stdout ?? '');
  return m ? Number(m[1]) : null;
}

function ensureClangFormat() {
  const wanted = process.env.SLUICE_CLANG_FORMAT || `clang-format-${MAJOR}`;
  if (have(wanted)) {
    const major = versionOf(wanted);
    if (major !== MAJOR) throw new Error(`${wanted} is clang-format ${major}; the style is pinned to clang-format ${MAJOR}`);
    return wanted;
  }
  if (process.env.SLUICE_CLANG_FORMAT) throw new Error(`SLUICE_CLANG_FORMAT=${wanted} is not on PATH`);
  const packages = [`clang-format-${MAJOR}`];
  aptInstall(packages, 'format-native', wanted);
  if (!have(wanted)) throw new Error(`installing ${packages.join(' ')} did not provide ${wanted}`);
  return wanted;
}

function sources() {
  const out = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (/\.(cc|h)$/.test(entry.name)) out.push(rel);
    }
  };
  for (const dir of DIRS) if (fs.existsSync(path.join(root, dir))) walk(dir);
  return out.sort();
}

const bin = ensureClangFormat();
const files = sources();
if (!check) {
  const r = spawnSync(bin, ['-i', '--style=file', ...files], { cwd: root, stdio: 'inherit' });
  console.log(`format-native: formatted ${files.length} files with ${bin}`);
  process.exit(r.status ?? 1);
}
// One run over every file: each unformatted file is reported as `<file>:<line>:<col>: error: …`.
const r = spawnSync(bin, ['--dry-run', '--Werror', '--style=file', ...files], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
const unformatted = files.filter((file) => r.stderr.includes(`${file}:`));
if (r.status !== 0 && unformatted.length === 0) {
  process.stderr.write(r.stderr);
  throw new Error(`${bin} failed`);
}
if (unformatted.length > 0) {
  console.log(`format-native: ${unformatted.length} of ${files.length} files are not formatted as .clang-format says (npm run format:native):`);
  for (const file of unformatted) console.log(`  ${file}`);
  process.exit(1);
}
console.log(`format-native: ${files.length} files formatted`);
