#!/usr/bin/env node
// The libFuzzer targets (native/fuzz/): builds them with clang + ASan/UBSan into build-fuzz/
// (installing Debian's clang when it is missing, as test/helpers/system-tools.ts does for
// kcat), replays every saved regression input, then fuzzes each target for a bounded time from
// its seed corpus (fuzz/corpus/<target>/). Writes a JUnit report (.test-results/fuzz.xml: one
// case per target for the replay and one for the fuzzing) that scripts/test.mjs counts, and
// exits non-zero on any crash, leak, timeout or property violation, printing the input
// libFuzzer saved for it (.test-results/fuzz/<target>-crash-…).
//
//   node scripts/fuzz-native.mjs                 CI run: a few seconds per target
//   node scripts/fuzz-native.mjs --seconds 300   longer local run (or --long: 10 minutes each)
//   node scripts/fuzz-native.mjs --target fuzz_decompress --seconds 60
//   SLUICE_FUZZ_SEED=123 node scripts/fuzz-native.mjs   fixed libFuzzer seed (default: random, printed)
//
// New inputs libFuzzer finds go to a scratch corpus under build-fuzz/, never into the repo;
// `--merge` folds them into fuzz/corpus/ (minimised with -merge=1) after a long run.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall, have } from './apt-install.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = path.join(root, 'build-fuzz');
const results = path.join(root, '.test-results');
const artifacts = path.join(results, 'fuzz');

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const long = args.includes('--long');
const seconds = Number(option('--seconds') ?? (long ? 600 : (process.env.SLUICE_FUZZ_SECONDS ?? 5)));
const only = option('--target');
const merge = args.includes('--merge');
const seed = Number(process.env.SLUICE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** Targets and their libFuzzer limits: inputs stay small (batches, frames, segments). */
const TARGETS = ['fuzz_batch_scan', 'fuzz_decompress', 'fuzz_codec_roundtrip', 'fuzz_segment_recovery'];
// Record validation (issue 10 part 1): built when native/src/record_validator.cc exists.
if (fs.existsSync(path.join(root, 'native', 'src', 'record_validator.cc')) && fs.existsSync(path.join(root, 'native', 'src', 'codec_stream.cc'))) {
  TARGETS.push('fuzz_record_validator', 'fuzz_decompress_stream');
}
const targets = only ? TARGETS.filter((t) => t === only) : TARGETS;
if (targets.length === 0) {
  console.error(`fuzz-native: unknown target ${only}; targets: ${TARGETS.join(', ')}`);
  process.exit(2);
}

/** clang++ that can link -fsanitize=fuzzer (Debian: clang + libclang-rt-dev). */
function clangWorks() {
  if (!have('clang++')) return false;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-clang-probe-'));
  try {
    const src = path.join(dir, 'probe.cc');
    fs.writeFileSync(src, '#include <cstdint>\n#include <cstddef>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n');
    return spawnSync('clang++', ['-fsanitize=fuzzer,address,undefined', src, '-o', path.join(dir, 'probe')], { stdio: 'ignore' }).status === 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function ensureClang() {
  if (clangWorks()) return;
  const packages = ['clang', 'libclang-rt-dev'];
  aptInstall(packages, 'fuzz-native', 'clang with libFuzzer');
  if (!clangWorks()) throw new Error(`installing ${packages.join(' ')} did not give a clang that links -fsanitize=fuzzer`);
}

function build() {
  const configure = ['-S', root, '-B', buildDir, '-DSLUICE_FUZZ=ON', '-DCMAKE_C_COMPILER=clang', '-DCMAKE_CXX_COMPILER=clang++', '-DCMAKE_BUILD_TYPE=Release'];
  for (const argv of [configure, ['--build', buildDir, '--parallel', '2', '--target', ...targets]]) {
    const r = spawnSync('cmake', argv, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    if (r.status !== 0) {
      process.stdout.write(r.stdout ?? '');
      throw new Error(`cmake ${argv.join(' ')} failed`);
    }
  }
}

function run(cmd, argv) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code, signal) => resolve({ code: code ?? 1, signal, stderr }));
  });
}

const COMMON = ['-rss_limit_mb=2048', '-malloc_limit_mb=512', '-timeout=10', '-max_len=65536', '-print_final_stats=1'];

/** Replays fuzz/regressions/<target>/*: every input that once crashed must stay fixed. */
async function replay(target, binary) {
  const dir = path.join(root, 'fuzz', 'regressions', target);
  const files = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => !f.startsWith('.'))
        .map((f) => path.join(dir, f))
    : [];
  if (files.length === 0) return { name: `${target}.regressions`, ok: true, detail: 'no saved inputs' };
  const r = await run(binary, [...COMMON, `-artifact_prefix=${path.join(artifacts, `${target}-regression-`)}`, ...files]);
  const ok = r.code === 0;
  return { name: `${target}.regressions`, ok, detail: ok ? `${files.length} inputs replayed` : failure(r.stderr), inputs: files.length };
}

function failure(stderr) {
  const lines = stderr.split('\n');
  const keep = lines.filter((l) => /ERROR|SUMMARY|property violated|Test unit written|artifact_prefix|Running:|==\d+==|#\d+ 0x/.test(l)).slice(0, 40);
  return (keep.length > 0 ? keep : lines.slice(-40)).join('\n');
}

async function fuzz(target, binary) {
  const scratch = path.join(buildDir, 'corpus', target);
  fs.mkdirSync(scratch, { recursive: true });
  const seedCorpus = path.join(root, 'fuzz', 'corpus', target);
  const dirs = [scratch, ...(fs.existsSync(seedCorpus) ? [seedCorpus] : [])];
  const r = await run(binary, [...COMMON, `-seed=${seed}`, `-max_total_time=${seconds}`, `-artifact_prefix=${path.join(artifacts, `${target}-`)}`, ...dirs]);
  const units = Number(/stat::number_of_executed_units:\s*(\d+)/.exec(r.stderr)?.[1] ?? 0);
  const perSec = Number(/stat::average_exec_per_sec:\s*(\d+)/.exec(r.stderr)?.[1] ?? 0);
  const ok = r.code === 0;
  const artifact = /Test unit written to (\S+)/.exec(r.stderr)?.[1];
  let detail = `${units} inputs, ${perSec} exec/s`;
  if (!ok) detail = `${artifact ? `crash input saved to ${artifact}\n` : ''}${failure(r.stderr)}`;
  if (ok && merge && fs.existsSync(seedCorpus)) {
    await run(binary, ['-merge=1', seedCorpus, scratch]);
  }
  return { name: `${target}.fuzz`, ok, detail, units, perSec, artifact };
}

function xmlEscape(s) {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);
}

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  const started = Date.now();
  const cases = [];
  try {
    ensureClang();
    build();
  } catch (err) {
    cases.push({ name: 'fuzz.build', ok: false, detail: err.message });
  }
  const built = Date.now();
  if (cases.length === 0) {
    console.log(`fuzz-native: ${targets.length} targets, ${seconds} s each, -seed=${seed} (rerun with SLUICE_FUZZ_SEED=${seed})`);
    // Two at a time: the machine has two cores.
    const queue = [...targets];
    const worker = async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
        const binary = path.join(buildDir, 'native', 'fuzz', t);
        cases.push(await replay(t, binary));
        const result = await fuzz(t, binary);
        cases.push(result);
        console.log(`fuzz-native: ${t}: ${result.ok ? 'ok' : 'FAILED'}, ${result.ok ? result.detail : ''}`);
      }
    };
    await Promise.all([worker(), worker()]);
  }
  cases.sort((a, b) => a.name.localeCompare(b.name));
  const failed = cases.filter((c) => !c.ok);
  for (const c of failed) console.error(`\nfuzz-native: ${c.name} FAILED\n${c.detail}\n`);
  const xml = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="fuzz-native" tests="${cases.length}" failures="${failed.length}">`,
    ...cases.map((c) =>
      c.ok
        ? `  <testcase name="${xmlEscape(c.name)}"><system-out>${xmlEscape(c.detail)}</system-out></testcase>`
        : `  <testcase name="${xmlEscape(c.name)}"><failure message="${xmlEscape(c.detail.split('\n')[0])}">${xmlEscape(c.detail)}</failure></testcase>`,
    ),
    '</testsuite>',
    '',
  ].join('\n');
  fs.mkdirSync(results, { recursive: true });
  fs.writeFileSync(path.join(results, 'fuzz.xml'), xml);
  const total = cases.reduce((n, c) => n + (c.units ?? 0), 0);
  console.log(
    `fuzz-native: ${cases.length - failed.length} passed, ${failed.length} failed; ${total} inputs; build ${((built - started) / 1000).toFixed(1)} s, fuzzing ${((Date.now() - built) / 1000).toFixed(1)} s`,
  );
  process.exit(failed.length > 0 ? 1 : 0);
}

await main();
