#!/usr/bin/env node
// The `sluice` command: runs dist/bundle/sluice.cjs, the CLI bundled into one file by
// scripts/bundle-cli.mjs (`npm run build:ts`, which the package's `prepare` script runs on
// install).
//
// Startup time matters for `sluice serve` (ready < 100 ms beyond a bare Node start), and
// compiling the bundle is most of what is left of it, so this compiles the bundle itself, as
// Node's CommonJS loader would, but with a V8 code cache: one per command (each runs different
// code; `--help` runs apart), kept next to the bundle, written as the process exits after a
// successful run of the command that found none (or whose cache V8 rejected), so it holds the
// code that run compiled — a run that failed early would leave out most of it. The cache is
// keyed by the bundle's content and V8's version: V8 itself would accept a cache made for
// another source of the same length. Where the package directory is read-only, it runs
// uncached.
//
// CommonJS (bin/package.json), not an ES module like the rest of the package: Node starts a
// CommonJS main script ~10 ms sooner, without setting up its ES module loader.
'use strict';
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const file = path.join(__dirname, '..', 'dist', 'bundle', 'sluice.cjs');
let source;
try {
  source = fs.readFileSync(file, 'utf8');
} catch (err) {
  process.stderr.write(`sluice: cannot read the CLI bundle ${file} (${err.code}); build it with \`npm run build:ts\`\n`);
  process.exit(1);
}
const args = process.argv.slice(2);
const command = args.find((a) => !a.startsWith('-')) ?? '';
const run = `${/^[a-z]+$/.test(command) ? command : 'other'}${args.some((a) => /^(-h|--help|-V|--version)$/.test(a)) ? '-help' : ''}`;
const key = createHash('sha1').update(process.versions.v8).update(source).digest('hex').slice(0, 16);
const cacheFile = path.join(path.dirname(file), `sluice.cjs.${run}-${key}.cache`);

let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  // First run of this command on this bundle.
}
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
if (cachedData === undefined || script.cachedDataRejected === true) {
  process.once('exit', (code) => {
    if (code !== 0) return;
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      fs.rmSync(tmp, { force: true });
    }
  });
}

const bundle = { exports: {} };
script.runInThisContext()(bundle.exports, require('node:module').createRequire(file), bundle, file, path.dirname(file));
bundle.exports.main(process.argv).then((code) => {
  process.exitCode = code;
});
