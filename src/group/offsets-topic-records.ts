/**
 * The records of `__consumer_offsets`, in Kafka's own schemas (core/src/main/resources/common/
 * message/{OffsetCommitKey,OffsetCommitValue,GroupMetadataKey,GroupMetadataValue}.json), so a
 * data directory can be read by Kafka's tools and a Kafka-written topic can be loaded here.
 * Every key and value starts with its schema version as int16; the key version tells the
 * record type. Strings are int16 length + UTF-8 (length -1 = null), bytes are int32 length +
 * bytes, arrays int32 count + elements. None of these versions is flexible.
 *
 *   OffsetCommitKey v0/v1 (identical)     version int16 | group string | topic string | partition int32
 *   GroupMetadataKey v2                   version int16 | group string
 *
 *   OffsetCommitValue (value null = the offset was deleted: a tombstone)
 *     v0  offset int64 | metadata string | commitTimestamp int64
 *     v1  offset int64 | metadata string | commitTimestamp int64 | expireTimestamp int64
 *     v2  offset int64 | metadata string | commitTimestamp int64
 *     v3  offset int64 | leaderEpoch int32 | metadata string | commitTimestamp int64
 *
 *   GroupMetadataValue (value null = the group was deleted)
 *     protocolType string | generation int32 | protocol string? | leader string?
 *     | currentStateTimestamp int64 (v2+) | members [MemberMetadata]
 *   MemberMetadata
 *     memberId string | groupInstanceId string? (v3+) | clientId string | clientHost string
 *     | rebalanceTimeout int32 (v1+) | sessionTimeout int32 | subscription bytes | assignment bytes
 *
 * Written: OffsetCommitKey v1, OffsetCommitValue v3 (v1 when the commit carries an explicit
 * expire timestamp, OffsetCommit v2-v4 with retentionTimeMs, as Kafka writes it), GroupMetadataKey
 * v2, GroupMetadataValue v3. Read: every version listed above.
 */

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
export const OFFSET_COMMIT_VALUE_VERSION = 3;
export const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRE = 1;
export const GROUP_METADATA_VALUE_VERSION = 3;

export interface OffsetCommitKey {
  type: 'offset';
  group: string;
  topic: string;
  partition: number;
}

export interface GroupMetadataKey {
  type: 'group';
  group: string;
}

export interface OffsetCommitValue {
  offset: bigint;
  /** -1 when unknown (values before v3). */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Only v1 carries it; null otherwise. */
  expireTimestamp: number | null;
}

export interface MemberMetadataValue {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generationId: number;
  protocolName: string | null;
  leaderId: string | null;
  /** -1 when unknown (values before v2). */
  currentStateTimestamp: number;
  members: MemberMetadataValue[];
}

/** A key, value or record that does not follow the schemas. */
export class OffsetsTopicFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OffsetsTopicFormatError';
  }
}

// ------------------------------------------------------------------ writing

/**
 * Writes into one growing buffer: an offset commit writes a key and a value per partition, and
 * a buffer per field (then a concat) made the encoding cost more than the append itself.
 */
class Out {
  private buf: Buffer;
  private pos = 0;
  constructor(sizeHint = 64) {
    this.buf = Buffer.allocUnsafe(sizeHint);
  }
  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  int16(v: number): this {
    this.reserve(2);
    this.pos = this.buf.writeInt16BE(v, this.pos);
    return this;
  }
  int32(v: number): this {
    this.reserve(4);
    this.pos = this.buf.writeInt32BE(v, this.pos);
    return this;
  }
  int64(v: bigint | number): this {
    this.reserve(8);
    this.pos = this.buf.writeBigInt64BE(typeof v === 'bigint' ? v : BigInt(v), this.pos);
    return this;
  }
  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const length = Buffer.byteLength(v, 'utf8');
    if (length > 0x7fff) throw new OffsetsTopicFormatError(`string of ${length} bytes is too long for an int16 length`);
    this.int16(length);
    this.reserve(length);
    this.pos += this.buf.write(v, this.pos, length, 'utf8');
    return this;
  }
  bytes(v: Buffer): this {
    this.int32(v.length);
    this.reserve(v.length);
    this.pos += v.copy(this.buf, this.pos);
    return this;
  }
  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return new Out().int16(OFFSET_COMMIT_KEY_VERSION).string(group).string(topic).int32(partition).done();
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return new Out().int16(GROUP_METADATA_KEY_VERSION).string(group).done();
}

export function encodeOffsetCommitValue(value: OffsetCommitValue): Buffer {
  if (value.expireTimestamp !== null) {
    return new Out()
      .int16(OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRE)
      .int64(value.offset)
      .string(value.metadata)
      .int64(value.commitTimestamp)
      .int64(value.expireTimestamp)
      .done();
  }
  return new Out().int16(OFFSET_COMMIT_VALUE_VERSION).int64(value.offset).int32(value.leaderEpoch).string(value.metadata).int64(value.commitTimestamp).done();
}

export function encodeGroupMetadataValue(value: GroupMetadataValue): Buffer {
  const out = new Out()
    .int16(GROUP_METADATA_VALUE_VERSION)
    .string(value.protocolType)
    .int32(value.generationId)
    .string(value.protocolName)
    .string(value.leaderId)
    .int64(value.currentStateTimestamp)
    .int32(value.members.length);
  for (const m of value.members) {
    out
      .string(m.memberId)
      .string(m.groupInstanceId)
      .string(m.clientId)
      .string(m.clientHost)
      .int32(m.rebalanceTimeoutMs)
      .int32(m.sessionTimeoutMs)
      .bytes(m.subscription)
      .bytes(m.assignment);
  }
  return out.done();
}

// ------------------------------------------------------------------ reading

class In {
  private position = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number): void {
    if (this.position + n > this.buf.length) throw new OffsetsTopicFormatError(`truncated: needs ${n} bytes at ${this.position} of ${this.buf.length}`);
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.position);
    this.position += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.position);
    this.position += 4;
    return v;
  }
  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.position);
    this.position += 8;
    return v;
  }
  nullableString(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    this.need(length);
    const v = this.buf.toString('utf8', this.position, this.position + length);
    this.position += length;
    return v;
  }
  string(): string {
    const v = this.nullableString();
    if (v === null) throw new OffsetsTopicFormatError(`null string at ${this.position - 2}`);
    return v;
  }
  bytes(): Buffer {
    const length = this.int32();
    if (length < 0) throw new OffsetsTopicFormatError(`null bytes at ${this.position - 4}`);
    this.need(length);
    // A copy: the record buffer is a view of a read that may be pooled.
    const v = Buffer.from(this.buf.subarray(this.position, this.position + length));
    this.position += length;
    return v;
  }
}

function ms(v: bigint): number {
  return Number(v);
}

export function decodeKey(key: Buffer): OffsetCommitKey | GroupMetadataKey {
  const r = new In(key);
  const version = r.int16();
  if (version === 0 || version === 1) return { type: 'offset', group: r.string(), topic: r.string(), partition: r.int32() };
  if (version === 2) return { type: 'group', group: r.string() };
  throw new OffsetsTopicFormatError(`unknown key version ${version}`);
}

export function decodeOffsetCommitValue(value: Buffer): OffsetCommitValue {
  const r = new In(value);
  const version = r.int16();
  if (version < 0 || version > 3) throw new OffsetsTopicFormatError(`unknown OffsetCommitValue version ${version}`);
  const offset = r.int64();
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = r.string();
  const commitTimestamp = ms(r.int64());
  const expireTimestamp = version === 1 ? ms(r.int64()) : null;
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

export function decodeGroupMetadataValue(value: Buffer): GroupMetadataValue {
  const r = new In(value);
  const version = r.int16();
  if (version < 0 || version > 3) throw new OffsetsTopicFormatError(`unknown GroupMetadataValue version ${version}`);
  const protocolType = r.string();
  const generationId = r.int32();
  const protocolName = r.nullableString();
  const leaderId = r.nullableString();
  const currentStateTimestamp = version >= 2 ? ms(r.int64()) : -1;
  const count = r.int32();
  if (count < 0) throw new OffsetsTopicFormatError(`negative member count ${count}`);
  const members: MemberMetadataValue[] = [];
  for (let i = 0; i < count; i++) {
    const memberId = r.string();
    const groupInstanceId = version >= 3 ? r.nullableString() : null;
    const clientId = r.string();
    const clientHost = r.string();
    const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
    const sessionTimeoutMs = r.int32();
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs,
      sessionTimeoutMs,
      subscription: r.bytes(),
      assignment: r.bytes(),
    });
  }
  return { protocolType, generationId, protocolName, leaderId, currentStateTimestamp, members };
}
