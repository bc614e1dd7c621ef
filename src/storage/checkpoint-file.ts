/**
 * Kafka's offset checkpoint files in a data directory (`recovery-point-offset-checkpoint`,
 * `log-start-offset-checkpoint`, `replication-offset-checkpoint`), text, one entry a line:
 *
 *   0                      version
 *   2                      number of entries
 *   orders 0 1500          topic partition offset
 *   orders 1 1420
 *
 * Written atomically (temp file, fsync, rename, fsync dir) so a crash leaves the old or the
 * new file, never a torn one.
 */
import fs from 'node:fs';
import { native } from '../native.js';

export type OffsetCheckpoint = Map<string, bigint>; // key: `${topic}-${partition}`

const VERSION = 0;

export function encodeCheckpoint(entries: OffsetCheckpoint): Buffer {
  const lines = [String(VERSION), String(entries.size)];
  for (const [key, offset] of entries) {
    const dash = key.lastIndexOf('-');
    lines.push(`${key.slice(0, dash)} ${key.slice(dash + 1)} ${offset}`);
  }
  return Buffer.from(lines.join('\n') + '\n');
}

export function decodeCheckpoint(text: string, file = 'checkpoint'): OffsetCheckpoint {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines.length < 2 || Number(lines[0]) !== VERSION) throw new Error(`${file}: unsupported checkpoint version ${lines[0]}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count !== lines.length - 2) throw new Error(`${file}: expected ${lines[1]} entries, found ${lines.length - 2}`);
  const entries: OffsetCheckpoint = new Map();
  for (const line of lines.slice(2)) {
    const parts = line.split(' ');
    if (parts.length !== 3 || !/^\d+$/.test(parts[1]!) || !/^-?\d+$/.test(parts[2]!)) throw new Error(`${file}: malformed entry "${line}"`);
    entries.set(`${parts[0]}-${parts[1]}`, BigInt(parts[2]!));
  }
  return entries;
}

/** Reads a checkpoint file; a missing file is an empty checkpoint. */
export function readCheckpoint(file: string): OffsetCheckpoint {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  return decodeCheckpoint(text, file);
}

export function writeCheckpoint(file: string, entries: OffsetCheckpoint): Promise<void> {
  return native.writeFileAtomic(file, encodeCheckpoint(entries));
}

export function writeCheckpointSync(file: string, entries: OffsetCheckpoint): void {
  native.writeFileAtomicSync(file, encodeCheckpoint(entries));
}
