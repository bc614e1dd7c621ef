/**
 * The consumer's read_committed rules against a real broker, in process and over the network:
 * transactions of two producers interleaved on one partition, positions that move past
 * transaction markers (so a consumer that read everything is at the log end, not stuck at a
 * marker), and lag counted to the last stable offset. The transactions are written with the
 * broker side's own calls (helpers/raw-transactions.ts), so these tests need no client producer.
 */
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/client/consumer.js';
import type { Sluice } from '../../src/sluice.js';
import { RawTxnProducer } from '../helpers/raw-transactions.js';
import { TRANSPORTS, sluicePerTest, waitFor } from './helpers.js';

/** The partition's [high watermark, last stable offset], as ListOffsets latest gives them. */
async function ends(sluice: Sluice, topic: string): Promise<[bigint, bigint]> {
  const at = async (isolationLevel: number): Promise<bigint> => {
    const [t] = await sluice.transport.listOffsets(isolationLevel, [{ name: topic, partitions: [{ partition: 0, timestamp: -1n }] }]);
    return t!.partitions[0]!.offset;
  };
  return [await at(0), await at(1)];
}

async function committedOffset(sluice: Sluice, groupId: string, topic: string): Promise<bigint> {
  const [t] = await sluice.admin().fetchOffsets({ groupId, topics: [topic] });
  return t!.partitions[0]!.offset;
}

describe.each(TRANSPORTS)('read_committed consumers over the %s transport', (transport) => {
  const open = sluicePerTest(transport);

  it("drops one producer's aborted transaction interleaved with another's committed one on the same partition", async () => {
    const { sluice } = await open();
    await sluice.admin().createTopics({ topics: [{ topic: 'mix', numPartitions: 1 }] });
    const a = await RawTxnProducer.init(sluice, 'mix-a');
    const b = await RawTxnProducer.init(sluice, 'mix-b');
    await a.send('mix', 0, ['a-aborted-1']);
    await b.send('mix', 0, ['b-committed']);
    await a.send('mix', 0, ['a-aborted-2']);
    await b.commit();
    await waitFor("b's marker", async () => (await ends(sluice, 'mix'))[0] === 4n);
    await a.abort();
    await waitFor("a's marker", async () => (await ends(sluice, 'mix'))[1] === 5n);
    // The same producer commits after its abort: the ABORT marker ended its aborted range.
    await a.send('mix', 0, ['a-committed']);
    await a.commit();

    const seen = { rc: [] as string[], ru: [] as string[] };
    const rc = sluice.consumer({ groupId: 'mix-rc', maxWaitTimeInMs: 50, heartbeatInterval: 100 });
    const ru = sluice.consumer({ groupId: 'mix-ru', readUncommitted: true, maxWaitTimeInMs: 50, heartbeatInterval: 100 });
    for (const [c, list] of [
      [rc, seen.rc],
      [ru, seen.ru],
    ] as const) {
      await c.subscribe({ topics: ['mix'], fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => void list.push(`${message.offset}:${message.value!.toString()}`) });
    }
    await waitFor('the uncommitted view', () => seen.ru.length === 4);
    await waitFor('the committed view', () => seen.rc.length === 2);
    // a-1@0 b@1 a-2@2 COMMIT(b)@3 ABORT(a)@4 a-committed@5 COMMIT(a)@6
    expect(seen.ru).toEqual(['0:a-aborted-1', '1:b-committed', '2:a-aborted-2', '5:a-committed']);
    expect(seen.rc).toEqual(['1:b-committed', '5:a-committed']);
    await rc.disconnect();
    await ru.disconnect();
  });

  it('moves past the marker that ends the log: the committed position is the log end', async () => {
    const { sluice } = await open();
    await sluice.admin().createTopics({ topics: [{ topic: 'end', numPartitions: 1 }] });
    const p = await RawTxnProducer.init(sluice, 'end-p');
    await p.send('end', 0, ['x', 'y']);
    await p.commit();
    await waitFor('the COMMIT marker', async () => (await ends(sluice, 'end'))[1] === 3n);
    await p.send('end', 0, ['gone']);
    await p.abort();
    await waitFor('the markers written', async () => (await ends(sluice, 'end'))[1] === 5n);

    const values: string[] = [];
    const c = sluice.consumer({ groupId: 'end-g', maxWaitTimeInMs: 50, heartbeatInterval: 100 });
    await c.subscribe({ topics: ['end'], fromBeginning: true });
    await c.run({ autoCommitInterval: 10, eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    // x@0 y@1 COMMIT@2 gone@3 ABORT@4: after the records, the consumer passes the aborted batch and both markers.
    await waitFor('the position at the log end', async () => (await committedOffset(sluice, 'end-g', 'end')) === 5n);
    expect(values).toEqual(['x', 'y']);
    await c.disconnect();
  });

  it('moves past markers with eachBatch resolving offsets itself, even when a fetch holds only a marker', async () => {
    const { sluice } = await open();
    await sluice.admin().createTopics({ topics: [{ topic: 'manual', numPartitions: 1 }] });
    const p = await RawTxnProducer.init(sluice, 'manual-p');
    const values: string[] = [];
    const c = sluice.consumer({ groupId: 'manual-g', maxWaitTimeInMs: 50, heartbeatInterval: 100 });
    await c.subscribe({ topics: ['manual'], fromBeginning: true });
    await c.run({
      eachBatchAutoResolve: false,
      autoCommitInterval: 10,
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const m of batch.messages) {
          values.push(m.value!.toString());
          resolveOffset(m.offset);
        }
      },
    });
    await waitFor('the consumer joined', () => c.assignment().length === 1);
    // The record and its marker may come in one fetch or two: either way the position ends past the marker.
    for (const [i, v] of ['one', 'two'].entries()) {
      await p.send('manual', 0, [v]);
      await p.commit();
      await waitFor(`the position past marker ${i + 1}`, async () => (await committedOffset(sluice, 'manual-g', 'manual')) === BigInt(2 * (i + 1)));
    }
    expect(values).toEqual(['one', 'two']);
    await c.disconnect();
  });

  it('counts the lag of a batch to the last stable offset under read_committed, to the high watermark under read_uncommitted', async () => {
    const { sluice } = await open();
    await sluice.admin().createTopics({ topics: [{ topic: 'lag', numPartitions: 1 }] });
    const done = await RawTxnProducer.init(sluice, 'lag-done');
    await done.send('lag', 0, ['c1', 'c2']);
    await done.commit();
    await waitFor('the COMMIT marker', async () => (await ends(sluice, 'lag'))[1] === 3n);
    const pending = await RawTxnProducer.init(sluice, 'lag-open');
    await pending.send('lag', 0, ['open']);
    // c1@0 c2@1 COMMIT@2 open@3 (open): high watermark 4, last stable offset 3.
    expect(await ends(sluice, 'lag')).toEqual([4n, 3n]);

    const batches = { rc: [] as Batch[], ru: [] as Batch[] };
    for (const [name, readUncommitted] of [
      ['rc', false],
      ['ru', true],
    ] as const) {
      const c = sluice.consumer({ groupId: `lag-${name}`, readUncommitted, maxWaitTimeInMs: 50, heartbeatInterval: 100 });
      await c.subscribe({ topics: ['lag'], fromBeginning: true });
      await c.run({ eachBatch: async ({ batch }) => void batches[name].push(batch) });
      await waitFor(`${name} batches`, () => batches[name].flatMap((b) => b.messages).length === (readUncommitted ? 3 : 2));
      await c.disconnect();
    }
    const last = (list: Batch[]): Batch => list[list.length - 1]!;
    expect(last(batches.rc).lastOffset()).toBe(1n);
    expect(last(batches.rc).offsetLag()).toBe(1n); // the marker at 2 is all before the LSO
    expect(last(batches.ru).lastOffset()).toBe(3n);
    expect(last(batches.ru).offsetLag()).toBe(0n);
    await pending.abort();
  });
});
