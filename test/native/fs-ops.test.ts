import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { native, NativeError } from '../../src/native.js';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-fsops-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces the content of an existing file and leaves no .tmp behind', async () => {
    const file = path.join(dir, 'topic-config');
    fs.writeFileSync(file, 'old content that is longer');
    await native.writeFileAtomic(file, Buffer.from('new'));
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(fs.readdirSync(dir)).toEqual(['topic-config']);
  });

  it('creates the file when it does not exist', async () => {
    const file = path.join(dir, 'fresh');
    const data = Buffer.alloc(300_000, 7);
    await native.writeFileAtomic(file, data);
    expect(fs.readFileSync(file)).toEqual(data);
  });

  it('keeps the data alive while the write runs even if the caller drops the Buffer', async () => {
    const file = path.join(dir, 'gc');
    const writes = Array.from({ length: 8 }, (_, i) => native.writeFileAtomic(`${file}-${i}`, Buffer.alloc(64 * 1024, i)));
    await Promise.all(writes);
    for (let i = 0; i < 8; i++) expect(fs.readFileSync(`${file}-${i}`)).toEqual(Buffer.alloc(64 * 1024, i));
  });

  it('rejects with ENOENT when the directory is missing and creates nothing', async () => {
    const file = path.join(dir, 'no-such-dir', 'f');
    await expect(native.writeFileAtomic(file, Buffer.from('x'))).rejects.toMatchObject({ code: 'ENOENT', syscall: 'open' });
    expect(fs.existsSync(path.join(dir, 'no-such-dir'))).toBe(false);
  });

  it('writeFileAtomicSync replaces the content and leaves no .tmp behind', () => {
    const file = path.join(dir, 'checkpoint');
    native.writeFileAtomicSync(file, Buffer.from('0\n1\n'));
    native.writeFileAtomicSync(file, Buffer.from('0\n2\n'));
    expect(fs.readFileSync(file, 'utf8')).toBe('0\n2\n');
    expect(fs.readdirSync(dir)).toEqual(['checkpoint']);
  });

  it('writeFileAtomicSync throws a NativeError for a missing directory', () => {
    expect(() => native.writeFileAtomicSync(path.join(dir, 'nope', 'f'), Buffer.from('x'))).toThrow(NativeError);
  });
});

describe('unlinkFiles', () => {
  it('removes the files that exist and ignores the ones that are missing', async () => {
    const a = path.join(dir, 'a.log');
    const b = path.join(dir, 'b.index');
    fs.writeFileSync(a, 'a');
    fs.writeFileSync(b, 'b');
    await native.unlinkFiles([a, path.join(dir, 'missing'), b]);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('rejects with the errno of a real failure', async () => {
    const sub = path.join(dir, 'sub');
    fs.mkdirSync(sub);
    await expect(native.unlinkFiles([sub])).rejects.toMatchObject({ syscall: 'unlink', path: sub });
  });

  it('resolves for an empty list', async () => {
    await expect(native.unlinkFiles([])).resolves.toBeUndefined();
  });
});

describe('fsyncDir', () => {
  it('resolves for an existing directory', async () => {
    await expect(native.fsyncDir(dir)).resolves.toBeUndefined();
  });

  it('rejects with ENOENT for a missing directory and ENOTDIR for a file', async () => {
    await expect(native.fsyncDir(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, '');
    await expect(native.fsyncDir(file)).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});

describe('openFileLimit', () => {
  it('reports the RLIMIT_NOFILE that /proc/self/limits shows', () => {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
    const [soft, hard] = line.replace('Max open files', '').trim().split(/\s+/).map((v) => (v === 'unlimited' ? Infinity : Number(v)));
    expect(native.openFileLimit()).toEqual({ soft, hard });
  });
});
