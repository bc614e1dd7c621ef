/**
 * The embedded-broker examples in examples/ stay runnable: each runs as its own process against
 * the built package (dist/, built by the vitest globalSetup) and prints what it promises.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, tempDir } from '../helpers/storage.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

function run(example: string): string {
  const dir = tempDir('example');
  dirs.push(dir);
  const r = spawnSync(process.execPath, [path.join(ROOT, 'examples', example), dir], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, SLUICE_LOG_LEVEL: 'error' },
  });
  expect(r.status, `${example} failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('examples', () => {
  it('embedded-queue: three workers handle every job once', () => {
    expect(run('embedded-queue.mjs')).toMatch(/60 jobs handled, each once/);
  });

  it('embedded-pubsub: each of two groups gets every event', () => {
    const out = run('embedded-pubsub.mjs');
    expect(out).toContain('billing: 20 events');
    expect(out).toContain('analytics: 20 events');
  });

  it('embedded-replay: reads from a timestamp on', () => {
    const lines = run('embedded-replay.mjs')
      .split('\n')
      .filter((l) => l.includes('reading at'));
    expect(lines.map((l) => l.trim().split('  ')[0])).toEqual(['12:05', '12:06', '12:07', '12:08', '12:09']);
  });

  it('embedded-exactly-once: a stop halfway neither loses nor repeats a payment', () => {
    expect(run('embedded-exactly-once.mjs')).toMatch(/total 5050 over 100 payments; expected 5050: exactly once/);
  });
});
