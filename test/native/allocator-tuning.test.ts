/**
 * The allocator tuning switch (src/native.ts). What the tuning does to glibc's heap is tested
 * in C++ against mallinfo2 (native/test/allocator_tuning_test.cc); its effect on reads is a
 * benchmark figure (bench/run.mjs, section 4). Here: loading the library applies it on glibc,
 * SLUICE_MALLOC_TUNING=0 leaves the allocator alone, and bad values are refused before glibc
 * sees them.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allocatorTuned, native } from '../../src/native.js';
import { runProcess } from '../helpers/run-process.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const VITE_NODE = path.join(ROOT, 'node_modules', 'vite-node', 'vite-node.mjs');
const FIXTURE = path.join(HERE, 'fixtures', 'allocator-tuned.ts');
const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
const glibc = report?.header?.glibcVersionRuntime !== undefined;

async function tunedInChild(setting: string | undefined): Promise<boolean> {
  const env = { ...process.env };
  if (setting === undefined) delete env.SLUICE_MALLOC_TUNING;
  else env.SLUICE_MALLOC_TUNING = setting;
  const r = await runProcess(process.execPath, [VITE_NODE, FIXTURE], { timeoutMs: 60_000, env });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim() === 'true';
}

describe('allocator tuning', () => {
  it.skipIf(!glibc)('is applied when the library loads under glibc', async () => {
    expect(await tunedInChild(undefined)).toBe(true);
    if (process.env.SLUICE_MALLOC_TUNING !== '0') expect(allocatorTuned).toBe(true);
  }, 60_000);

  it('is left off with SLUICE_MALLOC_TUNING=0', async () => {
    expect(await tunedInChild('0')).toBe(false);
  }, 60_000);

  it('refuses parameters mallopt cannot take, before calling it', () => {
    expect(() => native.tuneAllocator(-1, 64 << 20, 0)).toThrow(TypeError);
    expect(() => native.tuneAllocator(4 << 20, 2 ** 31, 0)).toThrow(TypeError);
    expect(() => native.tuneAllocator(4 << 20, 1.5, 0)).toThrow(TypeError);
  });
});
