// libFuzzer target: record validation (record_validator.h, issue 10 part 1) of one batch of
// arbitrary bytes, checked against an independent reference decoder of the records.
//
// Input: one flags byte, then the batch. Flag bit 0 rewrites batchLength to the input's size
// (so mutations get past framing); bit 1 validates as a stored batch (recovery rules) instead
// of a client's; bits 2-3 pick the decompression bound (64 MiB, 4 KiB, 64 bytes, 0).
//
// Properties (beyond ASan/UBSan): the validator terminates with OK or one of Kafka's error
// names, a record index inside the batch, and never more decoded bytes than the bound; what it
// accepts from a client the reference decoder (the whole records section decompressed with
// codecs.h, then every record parsed as Kafka's DefaultRecord reads it) decodes too, with
// exactly lastOffsetDelta + 1 records at offset deltas 0, 1, 2, … and no byte left over; and
// the stored-batch rules accept everything the client rules do.
#include <cstdint>
#include <vector>

#include "batch_format.h"
#include "codecs.h"
#include "fuzz_check.h"
#include "record_validator.h"

using namespace sluice;

namespace {

// The reference decoder: plain, allocating, obviously bounded.
class RefReader {
 public:
  RefReader(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}
  size_t left() const { return static_cast<size_t>(end_ - p_); }
  bool Byte() {
    if (p_ == end_) return false;
    ++p_;
    return true;
  }
  bool Varint(int64_t* out, int max_bytes) {
    uint64_t raw = 0;
    for (int i = 0; i < max_bytes; ++i) {
      if (p_ == end_) return false;
      const uint8_t b = *p_++;
      raw |= uint64_t{b & 0x7fu} << (7 * i);
      if (b < 0x80) {
        if (max_bytes == 5) raw = static_cast<uint32_t>(raw);
        const int64_t v = static_cast<int64_t>(raw >> 1) ^ -static_cast<int64_t>(raw & 1);
        *out = max_bytes == 5 ? static_cast<int32_t>(v) : v;
        return true;
      }
    }
    return false;
  }
  bool Skip(int64_t n) {
    if (n < 0 || static_cast<uint64_t>(n) > left()) return false;
    p_ += n;
    return true;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// Parses `count` records of a client batch: true when they fill `section` exactly.
bool ReferenceDecode(const uint8_t* section, size_t n, int32_t count) {
  RefReader r(section, n);
  for (int32_t i = 0; i < count; ++i) {
    int64_t length = 0;
    if (!r.Varint(&length, 5) || length < 6 || static_cast<uint64_t>(length) > r.left()) return false;
    RefReader rec(section + (n - r.left()), static_cast<size_t>(length));
    r.Skip(length);
    int64_t timestamp_delta = 0, offset_delta = 0, key_len = 0, value_len = 0, headers = 0;
    if (!rec.Byte() || !rec.Varint(&timestamp_delta, 10) || !rec.Varint(&offset_delta, 5)) return false;
    if (offset_delta != i) return false;
    if (!rec.Varint(&key_len, 5) || key_len < -1 || (key_len > 0 && !rec.Skip(key_len))) return false;
    if (!rec.Varint(&value_len, 5) || value_len < -1 || (value_len > 0 && !rec.Skip(value_len))) return false;
    if (!rec.Varint(&headers, 5) || headers < 0) return false;
    for (int64_t h = 0; h < headers; ++h) {
      int64_t hk = 0, hv = 0;
      if (!rec.Varint(&hk, 5) || hk < 0 || !rec.Skip(hk)) return false;
      if (!rec.Varint(&hv, 5) || hv < -1 || (hv > 0 && !rec.Skip(hv))) return false;
    }
    if (rec.left() != 0) return false;
  }
  return r.left() == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = input[0];
  std::vector<uint8_t> batch(input + 1, input + size);
  if ((flags & 1) && batch.size() >= kBatchHeaderBytes) {
    StoreBe32(batch.data() + kLengthOffset, static_cast<uint32_t>(batch.size() - kLogOverhead));
  }
  static const size_t kBounds[] = {size_t{64} << 20, 4096, 64, 0};
  ValidateOptions options;
  options.max_uncompressed_bytes = kBounds[(flags >> 2) & 3];
  options.from_client = (flags & 2) == 0;

  ValidationResult result;
  const Status s = ValidateBatch(batch.data(), batch.size(), options, &result);
  const bool has_header = batch.size() >= kBatchHeaderBytes;
  const int32_t count = has_header ? static_cast<int32_t>(LoadBe32(batch.data() + kRecordCountOffset)) : 0;
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == "INVALID_RECORD" || s.code() == "CORRUPT_MESSAGE");
    FUZZ_CHECK(result.record_index >= -1 && (result.record_index == -1 || result.record_index < count));
    return 0;
  }
  FUZZ_CHECK(has_header);
  const uint16_t codec = LoadBe16(batch.data() + kAttributesOffset) & kCodecMask;
  if (codec != 0) FUZZ_CHECK(result.records_bytes <= options.max_uncompressed_bytes);

  if (options.from_client) {
    const int32_t last_offset_delta = static_cast<int32_t>(LoadBe32(batch.data() + kLastOffsetDeltaOffset));
    FUZZ_CHECK(count > 0 && int64_t{count} == int64_t{last_offset_delta} + 1);
    std::vector<uint8_t> section;
    const uint8_t* records = batch.data() + kRecordsOffset;
    size_t records_len = batch.size() - kRecordsOffset;
    if (codec != 0) {
      FUZZ_CHECK(Decompress(codec, records, records_len, options.max_uncompressed_bytes, &section).ok());
      records = section.data();
      records_len = section.size();
    }
    FUZZ_CHECK(records_len == result.records_bytes);
    FUZZ_CHECK(ReferenceDecode(records, records_len, count));

    ValidateOptions stored = options;
    stored.from_client = false;
    ValidationResult again;
    FUZZ_CHECK(ValidateBatch(batch.data(), batch.size(), stored, &again).ok());
  }
  return 0;
}
