// Record validation (rules in record_validator.h). One pass over the records, no allocation
// per record: ParseFlat over an uncompressed batch's own bytes; ParseRecords over a fixed
// per-thread window that a DecompressStream refills, so a compressed batch is never held
// decoded in full. The two apply the same rules (record_validator_test runs every case on both).
// Both first hand the records to FastRecords, which accepts valid records with one bound check
// per record instead of one per byte, and leaves any record it cannot accept to them.
#include "record_validator.h"

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>

#include "batch_format.h"
#include "codec_stream.h"
#include "codecs.h"
#include "varint.h"

namespace sluice {
namespace {

constexpr int32_t kMinRecordBodyBytes =
    6;  // attributes, timestampDelta, offsetDelta, key, value, headerCount
constexpr size_t kWindowBytes = size_t{64} << 10;

// Decoded record bytes of a compressed section: [cur_, end_) of a window starting at stream
// position base_.
class Reader {
 public:
  // Over a stream, refilling `window` (kWindowBytes).
  Reader(DecompressStream* stream, uint8_t* window)
      : stream_(stream), buf_(window), window_(window), cur_(window), end_(window) {}

  uint64_t pos() const { return base_ + static_cast<uint64_t>(cur_ - window_); }
  size_t avail() const { return static_cast<size_t>(end_ - cur_); }
  const Status& stream_error() const { return error_; }

  // The decoded bytes at hand, for the fast path (which then moves the cursor past what it read).
  const uint8_t* cur() const { return cur_; }
  const uint8_t* end() const { return end_; }
  void Advance(const uint8_t* p) { cur_ = p; }

  // At least n (<= kMaxVarlongBytes) bytes ahead, unless the input ends first.
  bool Need(size_t n) { return avail() >= n || Refill(n); }

  bool ReadByte(uint8_t* b) {
    if (cur_ == end_ && !Refill(1)) return false;
    *b = *cur_++;
    return true;
  }

  // Zigzag varints as Kafka's ByteUtils reads them (varint.h). kEof: the input ended;
  // kMalformed: longer than 5 / 10 bytes. A varint wholly inside the window (nearly all) takes
  // RawVarint32 / RawVarint64.
  enum Outcome { kOk, kEof, kMalformed };
  Outcome ReadVarint(int32_t* out) {
    uint32_t raw = 0;
    if (__builtin_expect(avail() >= kMaxVarintBytes, 1)) {
      const uint8_t* next = RawVarint32(cur_, &raw);
      if (next == nullptr) return kMalformed;
      cur_ = next;
      *out = Zigzag32(raw);
      return kOk;
    }
    uint64_t raw64 = 0;
    const Outcome o = ReadStraddling(&raw64, kMaxVarintBytes);
    *out = Zigzag32(static_cast<uint32_t>(raw64));
    return o;
  }
  Outcome ReadVarlong(int64_t* out) {
    uint64_t raw = 0;
    if (__builtin_expect(avail() >= kMaxVarlongBytes, 1)) {
      const uint8_t* next = RawVarint64(cur_, &raw);
      if (next == nullptr) return kMalformed;
      cur_ = next;
      *out = Zigzag64(raw);
      return kOk;
    }
    const Outcome o = ReadStraddling(&raw, kMaxVarlongBytes);
    *out = Zigzag64(raw);
    return o;
  }

  // Steps over n bytes; false when the input ends first.
  bool Skip(uint64_t n) {
    if (n <= avail()) {
      cur_ += n;
      return true;
    }
    return SkipSlow(n);
  }

 private:
  __attribute__((noinline)) bool SkipSlow(uint64_t n) {
    while (n > avail()) {
      n -= avail();
      cur_ = end_;
      if (!Refill(1)) return false;
    }
    cur_ += n;
    return true;
  }

  // A varint near the end of the window (it may straddle a refill, or the input may end inside
  // it): read byte by byte, bits as RawVarint32 / RawVarint64 take them.
  __attribute__((noinline)) Outcome ReadStraddling(uint64_t* raw, size_t max_bytes) {
    uint64_t v = 0;
    for (size_t i = 0; i < max_bytes; ++i) {
      uint8_t b = 0;
      if (!ReadByte(&b)) return kEof;
      v |= uint64_t{b & 0x7fu} << (7 * i);
      if (b < 0x80) {
        *raw = v;
        return kOk;
      }
    }
    return kMalformed;
  }

  __attribute__((noinline)) bool Refill(size_t n) {
    if (stream_ == nullptr || !error_.ok()) return false;
    // Keep the few unread bytes (n <= kMaxVarlongBytes): move them to the window's start.
    const size_t keep = avail();
    base_ += static_cast<uint64_t>(cur_ - window_);
    std::memmove(buf_, cur_, keep);
    cur_ = buf_;
    end_ = buf_ + keep;
    while (avail() < n) {
      size_t got = 0;
      error_ = stream_->Read(const_cast<uint8_t*>(end_), kWindowBytes - avail(), &got);
      if (!error_.ok() || got == 0) return false;
      end_ += got;
    }
    return true;
  }

  DecompressStream* stream_ = nullptr;
  uint8_t* buf_ = nullptr;
  const uint8_t* window_;
  const uint8_t* cur_;
  const uint8_t* end_;
  uint64_t base_ = 0;
  Status error_;
};

uint8_t* ThreadWindow() {
  thread_local std::unique_ptr<uint8_t[]> window;
  if (window == nullptr) window.reset(new (std::nothrow) uint8_t[kWindowBytes]);
  return window.get();
}

__attribute__((noinline, cold)) Status Invalid(ValidationResult* result, int32_t record,
                                               std::string message) {
  result->record_index = record;
  return Status::Error("INVALID_RECORD", std::move(message));
}

__attribute__((noinline, cold)) Status InvalidRecord(ValidationResult* result, int32_t record,
                                                     const char* what) {
  return Invalid(result, record, "record " + std::to_string(record) + ": " + what);
}

// "record <i>: <what> <value><after>"
__attribute__((noinline, cold)) Status InvalidRecordValue(ValidationResult* result, int32_t record,
                                                          const char* what, int64_t value,
                                                          const char* after) {
  return Invalid(result, record,
                 "record " + std::to_string(record) + ": " + what + " " + std::to_string(value) + after);
}

Status Corrupt(ValidationResult* result, std::string message) {
  result->record_index = -1;
  return Status::Error("CORRUPT_MESSAGE", std::move(message));
}

struct BatchFacts {
  int32_t count;
  int32_t last_offset_delta;
  int64_t base_timestamp;
  bool log_append_time;
  bool from_client;
};

// The fast path for both parsers: records wholly inside [p, end) with at least kFastSlack bytes
// after them, so varints are decoded without an end check per byte. It applies every rule of the
// checked parsers, but never reports: at the first record it cannot accept (an error, a record
// near `end`, or a record split across a window) it stops before that record, and the checked
// parser takes it from there with its own error message. Valid records take no call and no
// Status.
//
// The timestamp, offset delta and key length varints are not checked one by one against the
// record's end: one that overruns it leaves the cursor past body_end, and the key's bound check
// (its length must fit in what is left, then negative) stops there. The reads then reach at most
// 15 bytes past body_end, which kFastSlack covers, so every read stays inside [p, end).
constexpr ptrdiff_t kFastSlack = 32;

struct FastState {
  int32_t index;  // next record
  int32_t prev_delta;
  int64_t max_timestamp;
};

// Accepts records from p while it can; returns where it stopped (the start of record
// st->index, or the end of the last record when all are done).
template <bool kFromClient, bool kLogAppendTime>
const uint8_t* FastRecords(const uint8_t* p, const uint8_t* end, const BatchFacts& facts, FastState* st) {
  int32_t i = st->index;
  int32_t prev_delta = st->prev_delta;
  int64_t max_timestamp = st->max_timestamp;
  const uint64_t base_timestamp = static_cast<uint64_t>(facts.base_timestamp);
  const int32_t count = facts.count;
  // Each accepted record ends at least kFastSlack bytes before `end`, so this holds at the top
  // of every iteration.
  if (end - p < kFastSlack) return p;
  // Rules are checked on the zigzag-encoded values where that is cheaper: a length n >= 0 is
  // encoded 2n, and -1 is 1, so "n >= -1" is "even, or 1", and a length's bytes to skip are
  // raw >> 1 in both cases.
  for (; i < count; ++i) {
    uint32_t raw = 0;
    const uint8_t* q = RawVarint32(p, &raw);
    if (q == nullptr) break;
    if ((raw & 1u) != 0 || raw < 2 * kMinRecordBodyBytes) break;  // length >= 6
    const uint32_t length = raw >> 1;
    if (static_cast<ptrdiff_t>(length) > (end - q) - kFastSlack) break;
    const uint8_t* const body_end = q + length;
    ++q;  // attributes: unused
    uint64_t raw64 = 0;
    if ((q = RawVarint64(q, &raw64)) == nullptr) break;
    if ((q = RawVarint32(q, &raw)) == nullptr) break;
    int32_t offset_delta = 0;
    if (kFromClient) {
      if (raw != 2 * static_cast<uint32_t>(i)) break;  // offsetDelta == i (i >= 0)
      offset_delta = i;
    } else {
      offset_delta = Zigzag32(raw);
      if (offset_delta <= prev_delta || offset_delta > facts.last_offset_delta) break;
    }
    // Key then value: length >= -1, bytes inside the record.
    if ((q = RawVarint32(q, &raw)) == nullptr) break;
    if (__builtin_expect(raw & 1u, 0) && raw != 1u) break;
    if (static_cast<ptrdiff_t>(raw >> 1) > body_end - q) break;
    q += raw >> 1;
    if ((q = RawVarint32(q, &raw)) == nullptr) break;
    if (__builtin_expect(raw & 1u, 0) && raw != 1u) break;
    if (static_cast<ptrdiff_t>(raw >> 1) > body_end - q) break;
    q += raw >> 1;
    if (__builtin_expect(*q == 0, 1)) {  // no headers: the one-byte varint 0
      ++q;
    } else {
      if ((q = RawVarint32(q, &raw)) == nullptr) break;
      const int32_t headers = Zigzag32(raw);
      // From here each field is checked against body_end before the next read.
      if (q > body_end || headers < 0 || int64_t{headers} * 2 > body_end - q) break;
      int32_t h = 0;
      for (; h < headers; ++h) {
        if ((q = RawVarint32(q, &raw)) == nullptr || q > body_end) break;
        if ((raw & 1u) != 0) break;  // header key length >= 0
        if (static_cast<ptrdiff_t>(raw >> 1) > body_end - q) break;
        q += raw >> 1;
        if ((q = RawVarint32(q, &raw)) == nullptr || q > body_end) break;
        if ((raw & 1u) & (raw > 1u)) break;  // header value length >= -1
        if (static_cast<ptrdiff_t>(raw >> 1) > body_end - q) break;
        q += raw >> 1;
      }
      if (h != headers) break;
    }
    if (q != body_end) break;
    if (!kLogAppendTime) {
      // Wrapping arithmetic as Java's long; a timestamp is only compared, never trusted.
      const int64_t ts = static_cast<int64_t>(base_timestamp + static_cast<uint64_t>(Zigzag64(raw64)));
      max_timestamp = ts > max_timestamp ? ts : max_timestamp;
    }
    prev_delta = offset_delta;
    // body_end, not q (equal here): the next record's start then depends on this record's
    // length only, not on the chain of key/value lengths, so records overlap in the pipeline.
    p = body_end;
  }
  st->index = i;
  st->prev_delta = prev_delta;
  st->max_timestamp = max_timestamp;
  return p;
}

const uint8_t* Fast(const uint8_t* p, const uint8_t* end, const BatchFacts& facts, FastState* st) {
  if (facts.from_client) {
    return facts.log_append_time ? FastRecords<true, true>(p, end, facts, st)
                                 : FastRecords<true, false>(p, end, facts, st);
  }
  return facts.log_append_time ? FastRecords<false, true>(p, end, facts, st)
                               : FastRecords<false, false>(p, end, facts, st);
}

// Why the reader stopped: a stream error (decompression) outranks a premature end.
__attribute__((noinline, cold)) Status EndedEarly(const Reader& r, ValidationResult* result, int32_t record,
                                                  const char* what) {
  if (!r.stream_error().ok()) {
    const Status& e = r.stream_error();
    if (e.code() == "ENOMEM") return e;
    return Corrupt(result, "cannot decompress the records: " + e.message());
  }
  return InvalidRecord(result, record, what);
}

// Parses facts.count records; the reader must end exactly after the last.
Status ParseRecords(Reader& r, const BatchFacts& facts, ValidationResult* result) {
  int64_t max_timestamp = -1;
  int32_t prev_delta = -1;
  for (int32_t i = 0; i < facts.count; ++i) {
    if (r.avail() >= static_cast<size_t>(kFastSlack)) {  // the records wholly in the window
      FastState st{i, prev_delta, max_timestamp};
      r.Advance(Fast(r.cur(), r.end(), facts, &st));
      i = st.index;
      prev_delta = st.prev_delta;
      max_timestamp = st.max_timestamp;
      if (i == facts.count) break;
    }
    // Record i is near the window's end, split across a refill, or invalid.
    int32_t length = 0;
    switch (r.ReadVarint(&length)) {
      case Reader::kOk: break;
      case Reader::kEof:
        return EndedEarly(r, result, i,
                          "premature end of the records section (fewer records than the batch declares)");
      case Reader::kMalformed: return InvalidRecord(result, i, "length varint longer than 5 bytes");
    }
    if (length < kMinRecordBodyBytes) return InvalidRecord(result, i, "length below the 6-byte minimum");
    const uint64_t body_end = r.pos() + static_cast<uint64_t>(length);
    // The body's fields; each length is checked against what is left of the body.
    auto left = [&]() -> int64_t { return static_cast<int64_t>(body_end) - static_cast<int64_t>(r.pos()); };

    uint8_t attributes = 0;
    if (!r.ReadByte(&attributes)) return EndedEarly(r, result, i, "premature end inside the record");
    int64_t timestamp_delta = 0;
    Reader::Outcome o = r.ReadVarlong(&timestamp_delta);
    if (o != Reader::kOk) {
      return o == Reader::kEof ? EndedEarly(r, result, i, "premature end inside the record")
                               : InvalidRecord(result, i, "timestampDelta varlong longer than 10 bytes");
    }
    int32_t offset_delta = 0;
    if ((o = r.ReadVarint(&offset_delta)) != Reader::kOk) {
      return o == Reader::kEof ? EndedEarly(r, result, i, "premature end inside the record")
                               : InvalidRecord(result, i, "offsetDelta varint longer than 5 bytes");
    }
    if (facts.from_client ? offset_delta != i
                          : offset_delta <= prev_delta || offset_delta > facts.last_offset_delta) {
      return InvalidRecordValue(result, i, "invalid offsetDelta", offset_delta,
                                facts.from_client ? " (must equal its index in the batch)"
                                                  : " (offset deltas must increase up to lastOffsetDelta)");
    }
    prev_delta = offset_delta;
    for (int field = 0; field < 2; ++field) {  // key, value
      int32_t n = 0;
      if ((o = r.ReadVarint(&n)) != Reader::kOk) {
        return o == Reader::kEof ? EndedEarly(r, result, i, "premature end inside the record")
                                 : InvalidRecord(result, i, "key/value length varint longer than 5 bytes");
      }
      if (n < -1)
        return InvalidRecord(result, i, field == 0 ? "key length below -1" : "value length below -1");
      if (n > 0) {
        if (n > left())
          return InvalidRecord(result, i,
                               field == 0 ? "key runs past the record" : "value runs past the record");
        if (!r.Skip(static_cast<uint64_t>(n)))
          return EndedEarly(r, result, i, "premature end inside the record");
      }
    }
    int32_t headers = 0;
    if ((o = r.ReadVarint(&headers)) != Reader::kOk) {
      return o == Reader::kEof ? EndedEarly(r, result, i, "premature end inside the record")
                               : InvalidRecord(result, i, "header count varint longer than 5 bytes");
    }
    // Each header takes at least 2 bytes (two one-byte lengths).
    if (headers < 0 || int64_t{headers} * 2 > left()) return InvalidRecord(result, i, "invalid header count");
    for (int32_t h = 0; h < headers; ++h) {
      for (int field = 0; field < 2; ++field) {  // header key, header value
        int32_t n = 0;
        if ((o = r.ReadVarint(&n)) != Reader::kOk) {
          return o == Reader::kEof ? EndedEarly(r, result, i, "premature end inside the record")
                                   : InvalidRecord(result, i, "header length varint longer than 5 bytes");
        }
        if (n < (field == 0 ? 0 : -1)) {
          return InvalidRecord(result, i,
                               field == 0 ? "negative header key length" : "header value length below -1");
        }
        if (n > 0) {
          if (n > left()) return InvalidRecord(result, i, "header runs past the record");
          if (!r.Skip(static_cast<uint64_t>(n)))
            return EndedEarly(r, result, i, "premature end inside the record");
        }
      }
    }
    if (left() != 0) {
      return InvalidRecordValue(result, i, "fields do not fill its declared length of", length, " bytes");
    }
    if (!facts.log_append_time) {
      // Wrapping arithmetic as Java's long; a timestamp is only compared, never trusted.
      const int64_t ts = static_cast<int64_t>(static_cast<uint64_t>(facts.base_timestamp) +
                                              static_cast<uint64_t>(timestamp_delta));
      if (ts > max_timestamp) max_timestamp = ts;
    }
  }
  // Kafka: "Incorrect declared batch size, records still remaining".
  if (r.avail() > 0 || r.Need(1)) {
    return Invalid(result, -1,
                   "bytes left over after the batch's " + std::to_string(facts.count) + " records");
  }
  if (!r.stream_error().ok()) return EndedEarly(r, result, -1, "");
  result->max_timestamp = max_timestamp;
  result->records_bytes = r.pos();
  return Status::Ok();
}

// ParseRecords for an uncompressed section in memory: the same rules over a local cursor that
// the compiler keeps in a register (a Reader's members would be reloaded around every access).
// Kafka's readVarint: zigzag, at most 5 bytes, bits past 32 dropped. False when it runs past
// `end` or is longer than 5 bytes.
inline bool FlatVarint(const uint8_t*& p, const uint8_t* end, int32_t* out) {
  uint32_t v = 0;
  for (int i = 0; i < 5; ++i) {
    if (p == end) return false;
    const uint8_t b = *p++;
    v |= uint32_t{b & 0x7fu} << (7 * i);
    if (b < 0x80) {
      *out = static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1));
      return true;
    }
  }
  return false;
}

inline bool FlatVarlong(const uint8_t*& p, const uint8_t* end, int64_t* out) {
  uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    if (p == end) return false;
    const uint8_t b = *p++;
    v |= uint64_t{b & 0x7fu} << (7 * i);
    if (b < 0x80) {
      *out = static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
      return true;
    }
  }
  return false;
}

Status ParseFlat(const uint8_t* p, const uint8_t* end, const BatchFacts& facts, ValidationResult* result) {
  FastState st{0, -1, -1};
  p = Fast(p, end, facts, &st);
  // The checked loop takes the last records (within kFastSlack of the end) or an invalid one.
  int64_t max_timestamp = st.max_timestamp;
  int32_t prev_delta = st.prev_delta;
  for (int32_t i = st.index; i < facts.count; ++i) {
    int32_t length = 0;
    if (!FlatVarint(p, end, &length)) {
      return InvalidRecord(
          result, i,
          p == end ? "premature end of the records section (fewer records than the batch declares)"
                   : "length varint longer than 5 bytes");
    }
    if (length < kMinRecordBodyBytes) return InvalidRecord(result, i, "length below the 6-byte minimum");
    if (static_cast<size_t>(length) > static_cast<size_t>(end - p)) {
      return InvalidRecordValue(result, i, "length", length, " runs past the end of the batch");
    }
    // Every read below stays inside the record's declared bytes.
    const uint8_t* const body_end = p + length;
    ++p;  // attributes: unused
    int64_t timestamp_delta = 0;
    int32_t offset_delta = 0;
    if (!FlatVarlong(p, body_end, &timestamp_delta) || !FlatVarint(p, body_end, &offset_delta)) {
      return InvalidRecord(result, i, "timestampDelta or offsetDelta runs past the record or is too long");
    }
    if (facts.from_client ? offset_delta != i
                          : offset_delta <= prev_delta || offset_delta > facts.last_offset_delta) {
      return InvalidRecordValue(result, i, "invalid offsetDelta", offset_delta,
                                facts.from_client ? " (must equal its index in the batch)"
                                                  : " (offset deltas must increase up to lastOffsetDelta)");
    }
    prev_delta = offset_delta;
    for (int field = 0; field < 2; ++field) {  // key, value
      int32_t n = 0;
      if (!FlatVarint(p, body_end, &n))
        return InvalidRecord(result, i, "key/value length runs past the record or is too long");
      if (n < -1)
        return InvalidRecord(result, i, field == 0 ? "key length below -1" : "value length below -1");
      if (n > 0) {
        if (n > body_end - p)
          return InvalidRecord(result, i,
                               field == 0 ? "key runs past the record" : "value runs past the record");
        p += n;
      }
    }
    int32_t headers = 0;
    if (!FlatVarint(p, body_end, &headers))
      return InvalidRecord(result, i, "header count runs past the record or is too long");
    if (headers < 0 || int64_t{headers} * 2 > body_end - p)
      return InvalidRecord(result, i, "invalid header count");
    for (int32_t h = 0; h < headers; ++h) {
      int32_t key = 0;
      if (!FlatVarint(p, body_end, &key))
        return InvalidRecord(result, i, "header key length runs past the record or is too long");
      if (key < 0) return InvalidRecord(result, i, "negative header key length");
      if (key > body_end - p) return InvalidRecord(result, i, "header runs past the record");
      p += key;
      int32_t value = 0;
      if (!FlatVarint(p, body_end, &value))
        return InvalidRecord(result, i, "header value length runs past the record or is too long");
      if (value < -1) return InvalidRecord(result, i, "header value length below -1");
      if (value > 0) {
        if (value > body_end - p) return InvalidRecord(result, i, "header runs past the record");
        p += value;
      }
    }
    if (p != body_end)
      return InvalidRecordValue(result, i, "fields do not fill its declared length of", length, " bytes");
    if (!facts.log_append_time) {
      const int64_t ts = static_cast<int64_t>(static_cast<uint64_t>(facts.base_timestamp) +
                                              static_cast<uint64_t>(timestamp_delta));
      if (ts > max_timestamp) max_timestamp = ts;
    }
  }
  if (p != end)
    return Invalid(result, -1,
                   "bytes left over after the batch's " + std::to_string(facts.count) + " records");
  result->max_timestamp = max_timestamp;
  return Status::Ok();
}

}  // namespace

Status ValidateBatch(const uint8_t* data, size_t len, const ValidateOptions& options,
                     ValidationResult* result) {
  *result = ValidationResult();
  if (len < kBatchHeaderBytes) return Corrupt(result, "record batch shorter than its 61-byte header");
  const int32_t batch_length = static_cast<int32_t>(LoadBe32(data + kLengthOffset));
  if (batch_length < kMinBatchLength || static_cast<uint64_t>(batch_length) + kLogOverhead != len) {
    return Corrupt(result, "record batch length does not match its bytes");
  }
  if (data[kMagicOffset] != kMagicV2) return Corrupt(result, "record batch magic is not 2");
  const uint16_t attributes = LoadBe16(data + kAttributesOffset);
  const int codec = attributes & kCodecMask;
  if (!IsValidCodec(codec)) return Corrupt(result, "unknown compression codec " + std::to_string(codec));

  BatchFacts facts;
  facts.count = static_cast<int32_t>(LoadBe32(data + kRecordCountOffset));
  facts.last_offset_delta = static_cast<int32_t>(LoadBe32(data + kLastOffsetDeltaOffset));
  facts.base_timestamp = static_cast<int64_t>(LoadBe64(data + kBaseTimestampOffset));
  facts.log_append_time = (attributes & kTimestampTypeBit) != 0;
  facts.from_client = options.from_client;
  if (facts.last_offset_delta < 0)
    return Invalid(result, -1, "negative lastOffsetDelta " + std::to_string(facts.last_offset_delta));
  if (facts.count < 0 || (options.from_client && facts.count == 0)) {
    return Invalid(result, -1, "invalid record count " + std::to_string(facts.count));
  }
  if (options.from_client ? int64_t{facts.count} != int64_t{facts.last_offset_delta} + 1
                          : int64_t{facts.count} > int64_t{facts.last_offset_delta} + 1) {
    return Invalid(result, -1,
                   "record count " + std::to_string(facts.count) + " does not match lastOffsetDelta " +
                       std::to_string(facts.last_offset_delta));
  }
  // Kafka reads no records of an empty batch (stored batches only, after compaction).
  if (facts.count == 0) return Status::Ok();

  const uint8_t* section = data + kRecordsOffset;
  const size_t section_len = len - kRecordsOffset;
  if (codec == kCodecNone) {
    // Every record takes at least 7 bytes: a count beyond that cannot fit.
    if (static_cast<uint64_t>(facts.count) * (kMinRecordBodyBytes + 1) > section_len) {
      return Invalid(result, -1,
                     "record count " + std::to_string(facts.count) + " does not fit in a " +
                         std::to_string(section_len) + "-byte records section");
    }
    result->records_bytes = section_len;
    return ParseFlat(section, section + section_len, facts, result);
  }
  uint8_t* window = ThreadWindow();
  if (window == nullptr) return Status::Error("ENOMEM", "validator: out of memory");
  DecompressStream stream;
  Status s = stream.Start(codec, section, section_len, options.max_uncompressed_bytes);
  if (!s.ok()) return s.code() == "ENOMEM" ? s : Corrupt(result, s.message());
  Reader r(&stream, window);
  return ParseRecords(r, facts, result);
}

void ReleaseValidatorScratch() { ReleaseDecompressStreamState(); }

}  // namespace sluice
