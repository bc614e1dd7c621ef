// The embedded stores a Node user would otherwise pick, each used as an append-only log keyed by
// offset: one write transaction / batch per 1,000 records, values are the 100-byte records.
// Loaded from bench/node_modules (see setup.mjs); a store that does not load is skipped with a note.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const requireBench = createRequire(path.join(benchDir, 'package.json'));

/** 1,000 big-endian 8-byte keys for offsets base..base+999, as views into one buffer. */
function keysFor(base, count, scratch) {
  for (let i = 0; i < count; i++) scratch.buf.writeBigUInt64BE(BigInt(base + i), i * 8);
  return scratch.views;
}
function keyScratch(count) {
  const buf = Buffer.alloc(count * 8);
  const views = [];
  for (let i = 0; i < count; i++) views.push(buf.subarray(i * 8, i * 8 + 8));
  return { buf, views };
}

/**
 * Each store: { name, note, open(dir) → handle } where handle has
 *   append(base, values) (values: Buffer[] of one batch; may return a Promise),
 *   readAll() → Promise<number> of records read in key order through a cursor / iterator,
 *   close() → Promise.
 */
export async function loadStores(log) {
  const stores = [];
  const tryLoad = async (name, fn) => {
    try {
      const made = await fn();
      for (const s of [made].flat()) stores.push(s);
    } catch (err) {
      log(`${name}: not available, skipped (${String(err?.message ?? err).split('\n')[0]})`);
    }
  };

  await tryLoad('lmdb', () => {
    const { open } = requireBench('lmdb');
    const make = (synced) => ({
      name: synced ? 'lmdb (synced)' : 'lmdb (noSync)',
      note: synced
        ? 'transactionSync of 1,000 putSync(append) per batch, fsync per commit (overlappingSync off)'
        : 'transactionSync of 1,000 putSync(append) per batch, noSync: true',
      synced,
      open(dir) {
        const db = open({ path: dir, noSync: !synced, overlappingSync: false, keyEncoding: 'binary', encoding: 'binary', compression: false, cache: false });
        const scratch = keyScratch(1000);
        return {
          append(base, values) {
            const keys = keysFor(base, values.length, scratch);
            db.transactionSync(() => {
              for (let i = 0; i < values.length; i++) db.putSync(keys[i], values[i], { append: true });
            });
          },
          async readAll() {
            let n = 0;
            for (const { value } of db.getRange({})) if (value.length > 0) n++;
            return n;
          },
          close: () => db.close(),
        };
      },
    });
    return [make(false), make(true)];
  });

  await tryLoad('better-sqlite3', () => {
    const Database = requireBench('better-sqlite3');
    return {
      name: 'better-sqlite3',
      note: "WAL, synchronous=NORMAL, one transaction of 1,000 INSERTs per batch; key = INTEGER PRIMARY KEY (SQLite's native ordered key)",
      open(dir) {
        fs.mkdirSync(dir, { recursive: true });
        const db = new Database(path.join(dir, 'log.sqlite'));
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.exec('CREATE TABLE IF NOT EXISTS log (offset INTEGER PRIMARY KEY, data BLOB NOT NULL)');
        const insert = db.prepare('INSERT INTO log (offset, data) VALUES (?, ?)');
        const tx = db.transaction((base, values) => {
          for (let i = 0; i < values.length; i++) insert.run(base + i, values[i]);
        });
        const scan = db.prepare('SELECT offset, data FROM log WHERE offset >= ? ORDER BY offset').raw();
        return {
          append(base, values) {
            tx(base, values);
          },
          async readAll() {
            let n = 0;
            for (const row of scan.iterate(0)) if (row[1].length > 0) n++;
            return n;
          },
          close: async () => db.close(),
        };
      },
    };
  });

  await tryLoad('classic-level', () => {
    const { ClassicLevel } = requireBench('classic-level');
    return {
      name: 'classic-level',
      note: 'LevelDB, db.batch of 1,000 puts per batch (sync: false), read with iterator.nextv(1000)',
      async open(dir) {
        const db = new ClassicLevel(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
        await db.open();
        const scratch = keyScratch(1000);
        return {
          append(base, values) {
            const keys = keysFor(base, values.length, scratch);
            const ops = new Array(values.length);
            for (let i = 0; i < values.length; i++) ops[i] = { type: 'put', key: keys[i], value: values[i] };
            return db.batch(ops);
          },
          async readAll() {
            let n = 0;
            const it = db.iterator();
            for (;;) {
              const entries = await it.nextv(1000);
              if (entries.length === 0) break;
              n += entries.length;
            }
            await it.close();
            return n;
          },
          close: () => db.close(),
        };
      },
    };
  });

  await tryLoad('hypercore', () => {
    const Hypercore = requireBench('hypercore');
    return {
      name: 'hypercore',
      note: 'hypercore 10: append([1,000 blocks]) per batch (Merkle tree + signature per append), createReadStream to read',
      small: true,
      async open(dir) {
        const core = new Hypercore(dir);
        await core.ready();
        return {
          append(_base, values) {
            return core.append(values);
          },
          async readAll() {
            let n = 0;
            for await (const block of core.createReadStream({ start: 0, end: core.length })) if (block.length > 0) n++;
            return n;
          },
          close: () => core.close(),
        };
      },
    };
  });

  return stores;
}
