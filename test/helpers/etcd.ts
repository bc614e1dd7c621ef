/**
 * A private etcd for one test file: Debian's `etcd` (package etcd-server, installed by
 * ensureEtcd() when missing) on free loopback ports with a temporary data directory, killed and
 * removed by stop(). pause()/resume() send SIGSTOP/SIGCONT to the process, so a test can make
 * etcd unavailable for a while without losing its data.
 *
 *   const etcd = await startEtcd();
 *   … new Etcd3({ hosts: etcd.endpoint }) …
 *   await etcd.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ensureEtcd } from './system-tools.js';

export interface EtcdProcess {
  /** http://127.0.0.1:<client port> */
  endpoint: string;
  pid: number;
  /** SIGSTOP: etcd stops answering (connections stay open) until resume(). */
  pause(): void;
  resume(): void;
  /** Kills etcd (SIGKILL) and removes its data directory. */
  stop(): Promise<void>;
  /** What etcd printed, for failure messages. */
  output(): string;
}

/** A port that was free a moment ago (listen on 0, close). */
async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function canConnect(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function startOnce(): Promise<EtcdProcess | null> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-etcd-'));
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child: ChildProcess = spawn(
    'etcd',
    [
      '--name',
      'sluice-test',
      '--data-dir',
      dataDir,
      '--listen-client-urls',
      client,
      '--advertise-client-urls',
      client,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `sluice-test=${peer}`,
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const remove = () => rmSync(dataDir, { recursive: true, force: true });
  // Ready once the client port accepts connections and etcd has elected itself (a range
  // request answers); a port taken by someone else in between makes etcd exit: try again.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      remove();
      if (/address already in use/.test(out)) return null;
      throw new Error(`etcd exited at start:\n${out}`);
    }
    if (await canConnect(clientPort)) {
      const health = await fetch(`${client}/health`).then(
        (r) => r.json() as Promise<{ health?: string }>,
        () => null,
      );
      if (health?.health === 'true') break;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      remove();
      throw new Error(`etcd did not become healthy:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint: client,
    pid: child.pid!,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    output: () => out,
    async stop() {
      if (!exited) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
        await exit;
      }
      remove();
    },
  };
}

export async function startEtcd(): Promise<EtcdProcess> {
  ensureEtcd();
  for (let attempt = 0; ; attempt++) {
    const etcd = await startOnce();
    if (etcd !== null) return etcd;
    if (attempt === 5) throw new Error('etcd: no free ports after 6 attempts');
  }
}
