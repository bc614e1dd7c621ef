#!/usr/bin/env node
// The README's test command (`npm test`): first the code checks — ESLint (type-aware, with the
// layer rule), Prettier and clang-format (docs/contributing.md) — and if any fails, nothing else
// runs: the run stops red at once with the failed checks counted in the last line
// (SLUICE_SKIP_CHECKS=1 skips them, for a local run of the suites alone). Then C++ unit tests
// through CMake + ctest, a bounded run
// of the libFuzzer targets (scripts/fuzz-native.mjs; SLUICE_FUZZ_NATIVE=0 skips it), then the
// vitest suite on this Node, then the vitest suite again on the other supported Node release
// (SLUICE_TEST_ALSO_NODE, 24 by default; installed once from npm, scripts/node-release.mjs),
// each writing a machine-readable report into .test-results/ (vitest runs both its projects,
// unit and integration, into one JSON report). Ends with one line `N passed, M failed` counted
// from all those reports, each code check counting as one case, and exits non-zero on any failure.
// SLUICE_TEST_ALSO_NODE=0 runs vitest on this Node only.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installNode } from './node-release.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const results = path.join(root, '.test-results');
fs.rmSync(results, { recursive: true, force: true });
fs.mkdirSync(results, { recursive: true });

function run(cmd, args, env = process.env) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  return r.status ?? 1;
}

// The code checks: each one a case of the final count. They need neither the addon nor dist/.
const checks = [
  { name: 'lint (npm run lint)', cmd: 'npm', args: ['run', '--silent', 'lint'] },
  { name: 'format (npm run format:check)', cmd: 'npm', args: ['run', '--silent', 'format:check'] },
  { name: 'native format (npm run format:native:check)', cmd: 'npm', args: ['run', '--silent', 'format:native:check'] },
];
let checksPassed = 0;
let checksFailed = 0;
if (process.env.SLUICE_SKIP_CHECKS !== '1') {
  const failedChecks = [];
  for (const check of checks) {
    if (run(check.cmd, check.args) === 0) checksPassed++;
    else failedChecks.push(check.name);
  }
  checksFailed = failedChecks.length;
  if (checksFailed > 0) {
    console.log(`\nfailed: ${failedChecks.join(', ')}. Fix (npm run lint:fix, npm run format, npm run format:native) and run again; the suites did not run.`);
    console.log(`${checksPassed} passed, ${checksFailed} failed`);
    process.exit(1);
  }
}

// The addon compiled from this checkout must exist (npm install builds it, unless a prebuild in
// prebuilds/ passed node-gyp-build's check); build it if it does not.
if (!fs.existsSync(path.join(root, 'build', 'Release', 'sluice_native.node'))) {
  if (run('npx', ['node-gyp', 'rebuild']) !== 0) process.exit(1);
}

const nativeStatus = run('node', ['scripts/test-native.mjs']);
const fuzzStatus = process.env.SLUICE_FUZZ_NATIVE === '0' ? 0 : run('node', ['scripts/fuzz-native.mjs']);
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const vitestArgs = (report) => ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(results, report)}`, ...process.argv.slice(2)];
const vitestRuns = [{ report: 'vitest.json', status: run(process.execPath, [vitest, ...vitestArgs('vitest.json')]) }];

// The same suite on the other Node release: its binary first on PATH (the tests' child
// processes run `node`), its headers for anything compiled meanwhile. The addon is not rebuilt:
// one Node-API binary serves both, as the prebuilt ones do for users.
const alsoMajor = process.env.SLUICE_TEST_ALSO_NODE ?? '24';
if (alsoMajor !== '0' && alsoMajor !== '' && alsoMajor !== process.versions.node.split('.')[0]) {
  const report = `vitest-node${alsoMajor}.json`;
  try {
    const other = installNode(alsoMajor);
    console.log(`\n# the vitest suite again on Node ${other.version}`);
    const env = { ...process.env, PATH: `${path.dirname(other.node)}${path.delimiter}${process.env.PATH}`, npm_config_nodedir: other.prefix };
    vitestRuns.push({ report, status: run(other.node, [vitest, ...vitestArgs(report)], env) });
  } catch (err) {
    console.log(`\nNode ${alsoMajor}: ${err.message}`);
    vitestRuns.push({ report, status: 1 }); // counted as a failure below, never skipped quietly
  }
}

let passed = checksPassed;
let failed = checksFailed;
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
for (const { report, status } of vitestRuns) {
  const file = path.join(results, report);
  if (fs.existsSync(file)) {
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    passed += json.numPassedTests ?? 0;
    failed += (json.numFailedTests ?? 0) + (json.numRuntimeErrorTestSuites ?? 0);
    if ((json.numFailedTestSuites ?? 0) > 0 && (json.numFailedTests ?? 0) === 0) failed += json.numFailedTestSuites;
  } else if (status !== 0) {
    failed++;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(nativeStatus !== 0 || fuzzStatus !== 0 || vitestRuns.some((r) => r.status !== 0) || failed > 0 ? 1 : 0);
