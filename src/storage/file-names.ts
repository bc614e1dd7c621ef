/**
 * Kafka's partition directory layout: segment files are named by their base offset as
 * 20 zero-padded digits, e.g. `00000000000000000368.log` with `.index`, `.timeindex` and
 * (only once the segment holds an aborted transaction) `.txnindex` beside it. A segment being deleted is renamed with a `.deleted` suffix first.
 */
import path from 'node:path';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const TXN_INDEX_SUFFIX = '.txnindex';
export const DELETED_SUFFIX = '.deleted';
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';

const SEGMENT_NAME = /^(\d{20})\.(log|index|timeindex|txnindex)$/;

export function filenamePrefixFromOffset(offset: bigint): string {
  return offset.toString().padStart(20, '0');
}

export function segmentPaths(dir: string, baseOffset: bigint): { log: string; index: string; timeIndex: string; txnIndex: string } {
  const prefix = path.join(dir, filenamePrefixFromOffset(baseOffset));
  return { log: prefix + LOG_SUFFIX, index: prefix + INDEX_SUFFIX, timeIndex: prefix + TIME_INDEX_SUFFIX, txnIndex: prefix + TXN_INDEX_SUFFIX };
}

/** Parses a segment file name; null when the name is not one of ours. */
export function parseSegmentFileName(name: string): { baseOffset: bigint; kind: 'log' | 'index' | 'timeindex' | 'txnindex' } | null {
  const m = SEGMENT_NAME.exec(name);
  if (m === null) return null;
  return { baseOffset: BigInt(m[1]!), kind: m[2] as 'log' | 'index' | 'timeindex' | 'txnindex' };
}

/** `<topic>-<partition>` → parts; the topic may itself contain dashes. */
export function parseTopicPartitionDir(name: string): { topic: string; partition: number } | null {
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return null;
  const partition = Number(name.slice(dash + 1));
  if (!Number.isInteger(partition) || partition < 0 || String(partition) !== name.slice(dash + 1)) return null;
  return { topic: name.slice(0, dash), partition };
}

export function topicPartitionDir(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
