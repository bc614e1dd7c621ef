/**
 * The object `producer.transaction()` gives (kafkajs' shape): sends, offsets of a consumer
 * group (consume-transform-produce, KIP-447) and the commit or abort that ends it. One per
 * producer at a time; once it ended (commit or abort succeeded) every call on it throws.
 * The state and the coordinator requests are the TransactionManager's.
 */
import type { OffsetsToSend, TransactionManager } from './transaction-manager.js';
import { TransactionStateError } from './transaction-manager.js';
import type { ProducerBatch, ProducerRecord, RecordMetadata } from './types.js';

/** What the transaction needs from its producer. */
export interface TransactionalProducer {
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
  /** Every batch sent and answered (commit's flush). */
  flush(): Promise<void>;
  /** Fails the batches not yet sent with `err`. */
  dropUnsent(err: Error): void;
  /** Resolves once no batch is in flight. */
  drained(): Promise<void>;
}

export class Transaction {
  private ended = false;

  constructor(
    private readonly producer: TransactionalProducer,
    private readonly manager: TransactionManager,
  ) {}

  /** Whether the transaction can still be used: not committed or aborted, and the producer not fenced. */
  isActive(): boolean {
    return !this.ended && this.manager.state !== 'FATAL_ERROR';
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    this.guard();
    return this.producer.send(record);
  }

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    this.guard();
    return this.producer.sendBatch(batch);
  }

  /** Commits the consumer group's offsets with the transaction (visible only once it commits). */
  async sendOffsets(offsets: OffsetsToSend): Promise<void> {
    this.guard();
    await this.manager.sendOffsets(offsets);
  }

  /** Sends every batch of the transaction, then commits it: its records and offsets become visible together. */
  async commit(): Promise<void> {
    this.guard();
    await this.manager.commit(() => this.producer.flush());
    this.ended = true;
  }

  /** Drops the batches not sent yet and aborts: read_committed consumers never see its records or offsets. */
  async abort(): Promise<void> {
    this.guard();
    await this.manager.abort(
      (err) => this.producer.dropUnsent(err),
      () => this.producer.drained(),
    );
    this.ended = true;
  }

  private guard(): void {
    if (this.ended)
      throw new TransactionStateError(this.manager.state, 'this transaction has ended (committed or aborted): begin another with producer.transaction()');
  }
}
