/**
 * Helpers for the embedded-client tests: a Sluice on a temp dir with a silent logger, and
 * waiting for a condition (no wall-clock assertions: a deadline only bounds how long a broken
 * build hangs).
 */
import { afterEach } from 'vitest';
import { Sluice, type SluiceOptions } from '../../src/sluice.js';
import { quietLogger } from '../helpers/logger.js';
import { removeDir, tempDir } from '../helpers/storage.js';
import { pollUntil, type Probe } from '../helpers/wait.js';

export interface Opened {
  sluice: Sluice;
  dir: string;
  cleanup(): Promise<void>;
}

export async function openSluice(settings: Partial<SluiceOptions> = {}, dir = tempDir('embedded')): Promise<Opened> {
  const sluice = await Sluice.open({ logger: quietLogger(), 'offsets.topic.num.partitions': 3, ...settings, dir });
  return {
    sluice,
    dir,
    async cleanup() {
      await sluice.close();
      removeDir(dir);
    },
  };
}

/** Registers an afterEach that closes every Sluice opened through the returned function. */
export function sluicePerTest(): (settings?: Partial<SluiceOptions>) => Promise<Opened> {
  let opened: Opened[] = [];
  afterEach(async () => {
    for (const o of opened) await o.cleanup();
    opened = [];
  });
  return async (settings = {}) => {
    const o = await openSluice(settings);
    opened.push(o);
    return o;
  };
}

export function waitFor<T>(what: string, probe: Probe<T>, timeoutMs = 30_000): Promise<T> {
  return pollUntil(what, probe, { timeoutMs, intervalMs: 20 });
}
