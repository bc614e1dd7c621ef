/**
 * Helpers for the client tests: a Sluice on a temp dir with a silent logger — whose clients
 * are the in-process ones, or network ones connected to its listener — and waiting for a condition (no wall-clock assertions: a deadline only bounds how long a broken
 * build hangs).
 */
import { afterEach } from 'vitest';
import { connect } from '../../src/client/connect.js';
import { Sluice, type SluiceOptions } from '../../src/sluice.js';
import { quietLogger } from '../helpers/logger.js';
import { removeDir, tempDir } from '../helpers/storage.js';
import { pollUntil, type Probe } from '../helpers/wait.js';

export interface Opened {
  sluice: Sluice;
  dir: string;
  cleanup(): Promise<void>;
}

/** The two transports the client suites run over. */
export const TRANSPORTS = ['in-process', 'network'] as const;
export type TransportKind = (typeof TRANSPORTS)[number];

/**
 * A Sluice on a temp dir. With the network transport, `sluice` is a view of it whose
 * producer(), consumer() and admin() come from `connect()` to its listener (everything else —
 * broker, groups — is the Sluice's own), so one test body checks both transports.
 */
export async function openSluice(settings: Partial<SluiceOptions> = {}, dir = tempDir('embedded'), transport: TransportKind = 'in-process'): Promise<Opened> {
  const sluice = await Sluice.open({ logger: quietLogger(), 'offsets.topic.num.partitions': 3, ...settings, dir });
  if (transport === 'in-process') {
    return {
      sluice,
      dir,
      async cleanup() {
        await sluice.close();
        removeDir(dir);
      },
    };
  }
  const { bootstrap } = await sluice.listen({ listeners: 'PLAINTEXT://127.0.0.1:0' });
  const client = await connect({ brokers: bootstrap, clientId: 'client-test', logger: quietLogger(), retry: { initialRetryTime: 20 } });
  const view = Object.create(sluice) as Sluice;
  view.producer = (options) => client.producer(options);
  view.consumer = (options) => client.consumer(options);
  view.admin = () => client.admin();
  return {
    sluice: view,
    dir,
    async cleanup() {
      await client.close();
      await sluice.close();
      removeDir(dir);
    },
  };
}

/** Registers an afterEach that closes every Sluice opened through the returned function. */
export function sluicePerTest(transport: TransportKind = 'in-process'): (settings?: Partial<SluiceOptions>) => Promise<Opened> {
  let opened: Opened[] = [];
  afterEach(async () => {
    for (const o of opened) await o.cleanup();
    opened = [];
  });
  return async (settings = {}) => {
    const o = await openSluice(settings, tempDir('embedded'), transport);
    opened.push(o);
    return o;
  };
}

export function waitFor<T>(what: string, probe: Probe<T>, timeoutMs = 30_000): Promise<T> {
  return pollUntil(what, probe, { timeoutMs, intervalMs: 20 });
}
