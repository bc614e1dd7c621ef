/**
 * A transactional producer made of the calls a server handler makes, straight into a Sluice's
 * TransactionCoordinator and Broker: InitProducerId, AddPartitionsToTxn, a transactional
 * Produce of one record batch per send, EndTxn. Tests of readers (the consumer's
 * read_committed path, the admin tools) use it so that they depend on the broker side alone,
 * not on the client's transactional producer.
 */
import type { Sluice } from '../../src/sluice.js';
import { encodeRecordBatch } from '../../src/records/index.js';
import { ErrorCode, errorNameOf } from '../../src/errors.js';

export class RawTxnProducer {
  private readonly sequences = new Map<string, number>();
  private readonly added = new Set<string>();

  private constructor(
    private readonly sluice: Sluice,
    readonly transactionalId: string,
    readonly producerId: bigint,
    readonly producerEpoch: number,
  ) {}

  /** InitProducerId for `transactionalId` (FindCoordinator first, which creates __transaction_state). */
  static async init(sluice: Sluice, transactionalId: string, transactionTimeoutMs = 60_000): Promise<RawTxnProducer> {
    const found = await sluice.txns.findCoordinator(transactionalId);
    if (found !== ErrorCode.NONE) throw new Error(`FindCoordinator: ${errorNameOf(found)}`);
    for (;;) {
      const r = await sluice.txns.initProducerId({ transactionalId, transactionTimeoutMs, producerId: -1n, producerEpoch: -1 });
      // A fenced predecessor's open transaction is being aborted: ask again, as a client does.
      if (r.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`InitProducerId: ${errorNameOf(r.errorCode)}`);
      return new RawTxnProducer(sluice, transactionalId, r.producerId, r.producerEpoch);
    }
  }

  /** One transactional record batch of `values` to `topic`-`partition` (added to the transaction first). */
  async send(topic: string, partition: number, values: string[], timestamp?: number): Promise<bigint> {
    const key = `${topic}-${partition}`;
    if (!this.added.has(key)) {
      for (;;) {
        const r = await this.sluice.txns.addPartitionsToTxn({
          transactionalId: this.transactionalId,
          producerId: this.producerId,
          producerEpoch: this.producerEpoch,
          topics: [{ name: topic, partitions: [partition] }],
        });
        const code = r.topics[0]!.partitions[0]!.errorCode;
        if (code === ErrorCode.CONCURRENT_TRANSACTIONS) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          continue;
        }
        if (code !== ErrorCode.NONE) throw new Error(`AddPartitionsToTxn ${key}: ${errorNameOf(code)}`);
        break;
      }
      this.added.add(key);
    }
    const baseSequence = this.sequences.get(key) ?? 0;
    const records = encodeRecordBatch(
      values.map((value) => ({ value, ...(timestamp === undefined ? {} : { timestamp }) })),
      { producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence, isTransactional: true },
    );
    const [t] = await this.sluice.broker.produce(-1, 30_000, [{ name: topic, partitions: [{ index: partition, records }] }], {
      transactionalId: this.transactionalId,
    });
    const p = t!.partitions[0]!;
    if (p.errorCode !== ErrorCode.NONE) throw new Error(`Produce ${key}: ${errorNameOf(p.errorCode)}`);
    this.sequences.set(key, baseSequence + values.length);
    return p.baseOffset;
  }

  commit(): Promise<void> {
    return this.end(true);
  }

  abort(): Promise<void> {
    return this.end(false);
  }

  /** EndTxn; resolves once the coordinator took the decision (the markers follow). */
  private async end(committed: boolean): Promise<void> {
    for (;;) {
      const r = await this.sluice.txns.endTxn({
        transactionalId: this.transactionalId,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        committed,
      });
      if (r.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`EndTxn: ${errorNameOf(r.errorCode)}`);
      this.added.clear();
      return;
    }
  }
}
