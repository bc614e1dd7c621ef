/**
 * A coordinator's internal topic (`__consumer_offsets`, `__transaction_state`): created on first
 * use with Kafka's configs, or opened when it exists. Its partition count is the one on disk,
 * which wins over the configured one (changing it would move every key to another partition).
 */
import type { Logger } from '../logger.js';

/** What an internal topic needs of the broker (the Broker provides it). */
export interface InternalTopicStorage {
  topicId(name: string): string | undefined;
  ensureInternalTopic(name: string, partitionCount: number, configs: Record<string, string>): Promise<{ topicId: string; partitionCount: number }>;
}

export interface InternalTopicSpec {
  name: string;
  partitionCount: number;
  /** The broker setting `partitionCount` comes from, for the mismatch warning. */
  partitionCountSetting: string;
  configs: Record<string, string>;
}

export class InternalTopic {
  private count: number | null = null;
  private creating: Promise<void> | null = null;

  constructor(
    private readonly storage: InternalTopicStorage,
    private readonly spec: InternalTopicSpec,
    private readonly logger: Logger,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  /** The partition count once the topic exists, else null. */
  get partitionCount(): number | null {
    return this.count;
  }

  /** Opens the topic when it exists already; true when it did (it is to be loaded). */
  async openExisting(): Promise<boolean> {
    if (this.storage.topicId(this.spec.name) === undefined) return false;
    await this.ensure();
    return true;
  }

  /** Creates the topic when missing (concurrent callers share one creation). */
  async ensure(): Promise<void> {
    if (this.count !== null) return;
    this.creating ??= this.storage
      .ensureInternalTopic(this.spec.name, this.spec.partitionCount, this.spec.configs)
      .then(({ partitionCount }) => {
        if (partitionCount !== this.spec.partitionCount) {
          this.logger.warn(
            { partitionCount, configured: this.spec.partitionCount },
            `${this.spec.name} exists with a different partition count than ${this.spec.partitionCountSetting}; keeping the existing one`,
          );
        }
        this.count = partitionCount;
      })
      .finally(() => {
        this.creating = null;
      });
    await this.creating;
  }
}
