/**
 * The topics a consumer subscribes to, read from its JoinGroup metadata for the "consumer"
 * protocol type (ConsumerProtocolSubscription). The coordinator needs only this list — for
 * OffsetDelete (GROUP_SUBSCRIBED_TO_TOPIC) and for expiring offsets of topics a stable group no
 * longer consumes — so only the prefix every version shares is read:
 *
 *   version  int16      0..3 (later versions append fields after these)
 *   topics   int32 n, then n × (int16 length, UTF-8 bytes)
 *
 * Anything that does not parse answers null: the coordinator then treats the group as
 * subscribed to every topic, as Kafka does when it cannot deserialize a subscription.
 */

export { CONSUMER_PROTOCOL_TYPE } from './consumer-protocol.js';

/** The subscribed topics of one member's metadata, or null when it does not parse. */
export function subscribedTopicsOf(metadata: Buffer): string[] | null {
  if (metadata.length < 6) return null;
  if (metadata.readInt16BE(0) < 0) return null;
  const count = metadata.readInt32BE(2);
  if (count < 0) return null;
  const topics: string[] = [];
  let position = 6;
  for (let i = 0; i < count; i++) {
    if (position + 2 > metadata.length) return null;
    const length = metadata.readInt16BE(position);
    position += 2;
    if (length < 0 || position + length > metadata.length) return null;
    topics.push(metadata.toString('utf8', position, position + length));
    position += length;
  }
  return topics;
}
