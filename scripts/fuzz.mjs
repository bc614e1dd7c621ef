#!/usr/bin/env node
// `npm run fuzz`: the fuzzers on their own, longer than the bounded run `npm test` makes.
//
//   npm run fuzz                     TS fuzzers x5 (SLUICE_FUZZ_SCALE), libFuzzer 60 s per target
//   npm run fuzz -- --long           TS fuzzers x20, libFuzzer 10 minutes per target
//   SLUICE_FUZZ_SEED=123 npm run fuzz    reproduce a run (both fuzzers print their seed)
//
// Extra arguments go to scripts/fuzz-native.mjs (e.g. --target fuzz_decompress --seconds 300).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const long = args.includes('--long');
const env = { ...process.env, SLUICE_FUZZ_SCALE: process.env.SLUICE_FUZZ_SCALE ?? (long ? '20' : '5') };
const nativeArgs = args.includes('--seconds') || long ? args : [...args, '--seconds', '60'];

const run = (cmd, argv) => spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', env }).status ?? 1;
const ts = run('npx', ['vitest', 'run', 'test/fuzz/', '--testTimeout', String(long ? 3_600_000 : 600_000)]);
const native = run('node', ['scripts/fuzz-native.mjs', ...nativeArgs]);
process.exit(ts !== 0 || native !== 0 ? 1 : 0);
