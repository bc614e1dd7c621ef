// Record validation (rules in record_validator.h). One pass over the records with a reader
// that sees either the batch's own bytes (uncompressed) or a fixed window that a
// DecompressStream refills (compressed): the same parser, no allocation per record, and a
// compressed batch is never held decoded in full.
#include "record_validator.h"

#include <cstring>
#include <memory>
#include <string>

#include "batch_format.h"
#include "codec_stream.h"
#include "codecs.h"

namespace sluice {
namespace {

constexpr int32_t kMinRecordBodyBytes = 6;  // attributes, timestampDelta, offsetDelta, key, value, headerCount
constexpr size_t kWindowBytes = size_t{64} << 10;
constexpr size_t kMaxVarintBytes = 5;
constexpr size_t kMaxVarlongBytes = 10;

// Decoded record bytes: [cur_, end_) of a window starting at stream position base_.
class Reader {
 public:
  // Over bytes in memory.
  Reader(const uint8_t* data, size_t len) : window_(data), cur_(data), end_(data + len) {}
  // Over a stream, refilling `window` (kWindowBytes).
  Reader(DecompressStream* stream, uint8_t* window)
      : stream_(stream), buf_(window), window_(window), cur_(window), end_(window) {}

  uint64_t pos() const { return base_ + static_cast<uint64_t>(cur_ - window_); }
  size_t avail() const { return static_cast<size_t>(end_ - cur_); }
  const Status& stream_error() const { return error_; }
  bool streaming() const { return stream_ != nullptr; }

  // At least n (<= kMaxVarlongBytes) bytes ahead, unless the input ends first.
  bool Need(size_t n) { return avail() >= n || Refill(n); }

  bool ReadByte(uint8_t* b) {
    if (!Need(1)) return false;
    *b = *cur_++;
    return true;
  }

  // Zigzag varints as Kafka's ByteUtils reads them (bits past 32 / 64 are dropped, as Java's
  // shifts drop them). kEof: the input ended; kMalformed: longer than 5 / 10 bytes.
  enum Outcome { kOk, kEof, kMalformed };
  Outcome ReadVarint(int32_t* out) {
    uint64_t raw = 0;
    const Outcome o = ReadRaw(&raw, kMaxVarintBytes);
    const uint32_t v = static_cast<uint32_t>(raw);
    *out = static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1));
    return o;
  }
  Outcome ReadVarlong(int64_t* out) {
    uint64_t raw = 0;
    const Outcome o = ReadRaw(&raw, kMaxVarlongBytes);
    *out = static_cast<int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
    return o;
  }

  // Steps over n bytes; false when the input ends first.
  bool Skip(uint64_t n) {
    while (n > avail()) {
      n -= avail();
      cur_ = end_;
      if (!Refill(1)) return false;
    }
    cur_ += n;
    return true;
  }

 private:
  Outcome ReadRaw(uint64_t* raw, size_t max_bytes) {
    uint64_t v = 0;
    if (avail() >= max_bytes) {  // fast path: no end checks per byte
      for (size_t i = 0; i < max_bytes; ++i) {
        const uint8_t b = cur_[i];
        v |= uint64_t{b & 0x7fu} << (7 * i);
        if (b < 0x80) {
          cur_ += i + 1;
          *raw = v;
          return kOk;
        }
      }
      return kMalformed;
    }
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

  bool Refill(size_t n) {
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

Status Invalid(ValidationResult* result, int32_t record, std::string message) {
  result->record_index = record;
  return Status::Error("INVALID_RECORD", std::move(message));
}

Status InvalidRecord(ValidationResult* result, int32_t record, const char* what) {
  return Invalid(result, record, "record " + std::to_string(record) + ": " + what);
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

// Why the reader stopped: a stream error (decompression) outranks a premature end.
Status EndedEarly(const Reader& r, ValidationResult* result, int32_t record, const char* what) {
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
    int32_t length = 0;
    switch (r.ReadVarint(&length)) {
      case Reader::kOk: break;
      case Reader::kEof:
        return EndedEarly(r, result, i, "premature end of the records section (fewer records than the batch declares)");
      case Reader::kMalformed: return InvalidRecord(result, i, "length varint longer than 5 bytes");
    }
    if (length < kMinRecordBodyBytes) return InvalidRecord(result, i, "length below the 6-byte minimum");
    if (!r.streaming() && static_cast<size_t>(length) > r.avail()) {
      return Invalid(result, i, "record " + std::to_string(i) + ": length " + std::to_string(length) +
                                    " runs past the batch (" + std::to_string(r.avail()) + " bytes left)");
    }
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
      return Invalid(result, i, "record " + std::to_string(i) + ": invalid offsetDelta " + std::to_string(offset_delta) +
                                    (facts.from_client ? " (must equal its index in the batch)"
                                                       : " (offset deltas must increase up to lastOffsetDelta)"));
    }
    prev_delta = offset_delta;
    for (int field = 0; field < 2; ++field) {  // key, value
      int32_t n = 0;
      if ((o = r.ReadVarint(&n)) != Reader::kOk) {
        return o == Reader::kEof ? EndedEarly(r, result, i, "premature end inside the record")
                                 : InvalidRecord(result, i, "key/value length varint longer than 5 bytes");
      }
      if (n < -1) return InvalidRecord(result, i, field == 0 ? "key length below -1" : "value length below -1");
      if (n > 0) {
        if (n > left()) return InvalidRecord(result, i, field == 0 ? "key runs past the record" : "value runs past the record");
        if (!r.Skip(static_cast<uint64_t>(n))) return EndedEarly(r, result, i, "premature end inside the record");
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
          return InvalidRecord(result, i, field == 0 ? "negative header key length" : "header value length below -1");
        }
        if (n > 0) {
          if (n > left()) return InvalidRecord(result, i, "header runs past the record");
          if (!r.Skip(static_cast<uint64_t>(n))) return EndedEarly(r, result, i, "premature end inside the record");
        }
      }
    }
    if (left() != 0) {
      return Invalid(result, i, "record " + std::to_string(i) + ": declared " + std::to_string(length) +
                                    " bytes but its fields took " + std::to_string(int64_t{length} - left()));
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
    return Invalid(result, -1, "bytes left over after the batch's " + std::to_string(facts.count) + " records");
  }
  if (!r.stream_error().ok()) return EndedEarly(r, result, -1, "");
  result->max_timestamp = max_timestamp;
  result->records_bytes = r.pos();
  return Status::Ok();
}

}  // namespace

Status ValidateBatch(const uint8_t* data, size_t len, const ValidateOptions& options, ValidationResult* result) {
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
  if (facts.last_offset_delta < 0) return Invalid(result, -1, "negative lastOffsetDelta " + std::to_string(facts.last_offset_delta));
  if (facts.count < 0 || (options.from_client && facts.count == 0)) {
    return Invalid(result, -1, "invalid record count " + std::to_string(facts.count));
  }
  if (options.from_client ? int64_t{facts.count} != int64_t{facts.last_offset_delta} + 1
                          : int64_t{facts.count} > int64_t{facts.last_offset_delta} + 1) {
    return Invalid(result, -1, "record count " + std::to_string(facts.count) + " does not match lastOffsetDelta " +
                                   std::to_string(facts.last_offset_delta));
  }
  // Kafka reads no records of an empty batch (stored batches only, after compaction).
  if (facts.count == 0) return Status::Ok();

  const uint8_t* section = data + kRecordsOffset;
  const size_t section_len = len - kRecordsOffset;
  if (codec == kCodecNone) {
    // Every record takes at least 7 bytes: a count beyond that cannot fit.
    if (static_cast<uint64_t>(facts.count) * (kMinRecordBodyBytes + 1) > section_len) {
      return Invalid(result, -1, "record count " + std::to_string(facts.count) + " does not fit in a " +
                                     std::to_string(section_len) + "-byte records section");
    }
    Reader r(section, section_len);
    return ParseRecords(r, facts, result);
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
