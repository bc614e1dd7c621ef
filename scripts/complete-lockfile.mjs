#!/usr/bin/env node
// Adds lockfile entries for optional platform packages that the registry mirror here does not
// serve (e.g. @rollup/rollup-android-arm-eabi answers 404). npm install then leaves them out of
// package-lock.json, and `npm ci` refuses a lockfile that lacks them ("Missing: … from lock
// file"). An entry with the version, `optional`, and the os/cpu its name encodes lets `npm ci`
// validate the tree and skip the package on other platforms, exactly as it would with a full
// registry. Run after changing dependencies: `node scripts/complete-lockfile.mjs`.
import fs from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;
const OS = ['android', 'darwin', 'freebsd', 'linux', 'win32', 'openharmony', 'sunos', 'netbsd', 'openbsd', 'aix', 'wasm32'];
const CPU = ['arm64', 'arm', 'x64', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x', 'mips64el'];

function platformOf(name) {
  const parts = name.toLowerCase().split(/[-/@]/);
  const os = OS.find((o) => parts.includes(o));
  const cpu = CPU.find((c) => parts.includes(c));
  return { os, cpu };
}

let added = 0;
for (const [where, meta] of Object.entries(packages)) {
  for (const [dep, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    const nested = where === '' ? key : `${where}/${key}`;
    if (packages[key] || packages[nested]) continue;
    const version = range.replace(/^[\^~=]/, '');
    const { os, cpu } = platformOf(dep);
    const entry = { version, optional: true };
    if (meta.dev) entry.dev = true;
    if (os) entry.os = [os === 'wasm32' ? 'wasi' : os];
    if (cpu) entry.cpu = [cpu];
    packages[key] = entry;
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
lock.packages = sorted;
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`complete-lockfile: added ${added} optional platform entries`);
