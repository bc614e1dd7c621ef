/**
 * The allocator tuning switch (src/native.ts). What the tuning does to glibc's heap is tested
 * in C++ against mallinfo2 (native/test/allocator_tuning_test.cc); its effect on reads is a
 * benchmark figure (bench/run.mjs, section 4). Here: importing the library leaves the host
 * process's allocator alone (the addon records whether mallopt was ever called);
 * tuneAllocator(), Sluice.open({ tuneAllocator: true }) and `sluice serve` turn it on under
 * glibc; SLUICE_MALLOC_TUNING=0 keeps it off; bad values are refused before glibc sees them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { runProcess } from '../helpers/run-process.js';
import { pollUntil } from '../helpers/wait.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const VITE_NODE = path.join(ROOT, 'node_modules', 'vite-node', 'vite-node.mjs');
const FIXTURE = path.join(HERE, 'fixtures', 'allocator-tuned.ts');
const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
const glibc = report?.header?.glibcVersionRuntime !== undefined;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-alloc-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

interface ChildReport {
  mallopt: boolean;
  tuned: boolean;
}

async function inChild(mode: 'import' | 'tune' | 'open' | 'open-tuned', setting?: string): Promise<ChildReport> {
  const env = { ...process.env };
  if (setting === undefined) delete env.SLUICE_MALLOC_TUNING;
  else env.SLUICE_MALLOC_TUNING = setting;
  const r = await runProcess(process.execPath, [VITE_NODE, FIXTURE, mode, dir], { timeoutMs: 60_000, env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildReport;
}

describe('allocator tuning', () => {
  it('importing the library leaves the host process allocator untouched (mallopt is never called)', async () => {
    expect(await inChild('import')).toEqual({ mallopt: false, tuned: false });
  }, 60_000);

  it('an embedded Sluice leaves the allocator untouched unless opened with tuneAllocator: true', async () => {
    expect(await inChild('open')).toEqual({ mallopt: false, tuned: false });
    expect(await inChild('open-tuned')).toEqual({ mallopt: glibc, tuned: glibc });
  }, 120_000);

  it.skipIf(!glibc)('tuneAllocator() applies the tuning under glibc', async () => {
    expect(await inChild('tune')).toEqual({ mallopt: true, tuned: true });
  }, 60_000);

  it('tuneAllocator() does nothing with SLUICE_MALLOC_TUNING=0', async () => {
    expect(await inChild('tune', '0')).toEqual({ mallopt: false, tuned: false });
  }, 60_000);

  it.skipIf(!glibc)('sluice serve turns the tuning on at start and says so in its ready line', async () => {
    const env = { ...process.env };
    delete env.SLUICE_MALLOC_TUNING;
    const broker = await startBrokerProcess({ dataDir: dir, env });
    try {
      const ready = () =>
        broker
          .output()
          .split('\n')
          .map((line) => {
            try {
              return JSON.parse(line) as { msg?: string; allocatorTuned?: boolean };
            } catch {
              return {};
            }
          })
          .find((entry) => entry.msg === 'ready');
      const line = await pollUntil("serve's ready line", ready, { diagnostics: () => broker.output() });
      expect(line.allocatorTuned).toBe(true);
    } finally {
      await broker.stop();
    }
  }, 60_000);

  it('refuses parameters mallopt cannot take, before calling it', () => {
    expect(() => native.tuneAllocator(-1, 64 << 20, 0)).toThrow(TypeError);
    expect(() => native.tuneAllocator(4 << 20, 2 ** 31, 0)).toThrow(TypeError);
    expect(() => native.tuneAllocator(4 << 20, 1.5, 0)).toThrow(TypeError);
  });
});
