#!/usr/bin/env node
// The README's test command (`npm test`): C++ unit tests through CMake + ctest, a bounded run
// of the libFuzzer targets (scripts/fuzz-native.mjs; SLUICE_FUZZ_NATIVE=0 skips it), then the
// vitest suite, each writing a machine-readable report into .test-results/. Ends with one
// line `N passed, M failed` counted from those reports, and exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const results = path.join(root, '.test-results');
fs.rmSync(results, { recursive: true, force: true });
fs.mkdirSync(results, { recursive: true });

function run(cmd, args) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  return r.status ?? 1;
}

// The addon must exist (npm install builds it); rebuild if a clean checkout skipped scripts.
if (!fs.existsSync(path.join(root, 'build', 'Release', 'sluice_native.node'))) {
  if (run('npx', ['node-gyp', 'rebuild']) !== 0) process.exit(1);
}

const nativeStatus = run('node', ['scripts/test-native.mjs']);
const fuzzStatus = process.env.SLUICE_FUZZ_NATIVE === '0' ? 0 : run('node', ['scripts/fuzz-native.mjs']);
const vitestArgs = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(results, 'vitest.json')}`, ...process.argv.slice(2)];
const vitestStatus = run('npx', vitestArgs);

let passed = 0;
let failed = 0;
const ctestXml = path.join(results, 'ctest.xml');
if (fs.existsSync(ctestXml)) {
  const xml = fs.readFileSync(ctestXml, 'utf8');
  const cases = xml.match(/<testcase\b[^>]*?(\/>|>[\s\S]*?<\/testcase>)/g) ?? [];
  for (const c of cases) {
    if (/<failure\b|<error\b/.test(c) || /status="fail"/.test(c)) failed++;
    else if (!/<skipped\b/.test(c) && !/status="(notrun|disabled)"/.test(c)) passed++;
  }
} else if (nativeStatus !== 0) {
  failed++; // the native build itself failed: count it, never hide it
}
const fuzzXml = path.join(results, 'fuzz.xml');
if (fs.existsSync(fuzzXml)) {
  const cases = fs.readFileSync(fuzzXml, 'utf8').match(/<testcase\b[\s\S]*?<\/testcase>/g) ?? [];
  for (const c of cases) {
    if (/<failure\b/.test(c)) failed++;
    else passed++;
  }
} else if (fuzzStatus !== 0) {
  failed++;
}
const vitestJson = path.join(results, 'vitest.json');
if (fs.existsSync(vitestJson)) {
  const report = JSON.parse(fs.readFileSync(vitestJson, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  if ((report.numFailedTestSuites ?? 0) > 0 && (report.numFailedTests ?? 0) === 0) failed += report.numFailedTestSuites;
} else if (vitestStatus !== 0) {
  failed++;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(nativeStatus !== 0 || fuzzStatus !== 0 || vitestStatus !== 0 || failed > 0 ? 1 : 0);
