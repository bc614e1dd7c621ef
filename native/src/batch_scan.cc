// Validation and in-place stamping of magic-2 record batches (layout in batch_format.h).
//
// The scan decides, batch by batch, whether the bytes ahead are a whole valid batch, and if
// not, names why. The order of checks matters for recovery: a zeroed region (preallocated or
// torn tail) is named before its zero length would read as BAD_LENGTH, and the length is
// judged before truncation so garbage with a huge length is BAD_LENGTH, not TRUNCATED_BODY.
#include <cstring>

#include "batch_format.h"
#include "crc32c.h"

namespace sluice {

const char* ScanErrorName(ScanError e) {
  switch (e) {
    case ScanError::kNone: return nullptr;
    case ScanError::kTruncatedHeader: return "TRUNCATED_HEADER";
    case ScanError::kTruncatedBody: return "TRUNCATED_BODY";
    case ScanError::kBadLength: return "BAD_LENGTH";
    case ScanError::kBadMagic: return "BAD_MAGIC";
    case ScanError::kBadCrc: return "BAD_CRC";
    case ScanError::kZeroFilled: return "ZERO_FILLED";
    case ScanError::kBadOffsets: return "BAD_OFFSETS";
    case ScanError::kBadRecords: return "BAD_RECORDS";
  }
  return "UNKNOWN";
}

BatchHeader ParseBatchHeader(const uint8_t* p, uint64_t position) {
  BatchHeader h;
  h.position = position;
  h.size = static_cast<uint32_t>(static_cast<int32_t>(LoadBe32(p + kLengthOffset))) +
           static_cast<uint32_t>(kLogOverhead);
  h.base_offset = static_cast<int64_t>(LoadBe64(p + kBaseOffsetOffset));
  h.last_offset_delta = static_cast<int32_t>(LoadBe32(p + kLastOffsetDeltaOffset));
  h.partition_leader_epoch = static_cast<int32_t>(LoadBe32(p + kPartitionLeaderEpochOffset));
  h.attributes = LoadBe16(p + kAttributesOffset);
  h.base_timestamp = static_cast<int64_t>(LoadBe64(p + kBaseTimestampOffset));
  h.max_timestamp = static_cast<int64_t>(LoadBe64(p + kMaxTimestampOffset));
  h.producer_id = static_cast<int64_t>(LoadBe64(p + kProducerIdOffset));
  h.producer_epoch = static_cast<int16_t>(LoadBe16(p + kProducerEpochOffset));
  h.base_sequence = static_cast<int32_t>(LoadBe32(p + kBaseSequenceOffset));
  h.record_count = static_cast<int32_t>(LoadBe32(p + kRecordCountOffset));
  return h;
}

namespace {

bool AllZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

// Offsets must cross to JS exactly as doubles, and a batch's offsets must be a sane range:
// lastOffsetDelta >= 0, at most lastOffsetDelta + 1 records (compaction may remove records
// but never adds), producer id -1 (none) or a non-negative safe integer.
bool OffsetsValid(const BatchHeader& h) {
  if (h.base_offset < 0 || h.base_offset > kMaxSafeInteger) return false;
  if (h.last_offset_delta < 0) return false;
  if (h.last_offset() > kMaxSafeInteger) return false;
  if (h.record_count < 0 || int64_t{h.record_count} > int64_t{h.last_offset_delta} + 1) return false;
  if (h.producer_id < -1 || h.producer_id > kMaxSafeInteger) return false;
  return true;
}

}  // namespace

ScanResult ScanBatches(const uint8_t* data, size_t len, const ScanOptions& options,
                       std::vector<BatchHeader>* out, uint64_t position_base) {
  ScanResult r;
  size_t pos = 0;
  int64_t prev_last_offset = -1;
  auto stop = [&](ScanError e) {
    r.error = e;
    r.error_position = pos;
    return r;
  };
  while (pos < len) {
    const uint8_t* p = data + pos;
    const size_t remaining = len - pos;
    if (remaining < kLogOverhead) return stop(ScanError::kTruncatedHeader);
    if (AllZero(p, kLogOverhead)) return stop(ScanError::kZeroFilled);
    const int32_t batch_length = static_cast<int32_t>(LoadBe32(p + kLengthOffset));
    if (batch_length < kMinBatchLength) return stop(ScanError::kBadLength);
    const uint64_t size = static_cast<uint64_t>(batch_length) + kLogOverhead;
    if (size > options.max_batch_bytes) return stop(ScanError::kBadLength);
    if (remaining < kBatchHeaderBytes) return stop(ScanError::kTruncatedHeader);
    if (p[kMagicOffset] != kMagicV2) return stop(ScanError::kBadMagic);
    if (remaining < size) return stop(ScanError::kTruncatedBody);
    if (options.verify_crc) {
      const uint32_t stored = LoadBe32(p + kCrcOffset);
      const uint32_t actual = Crc32c(0, p + kAttributesOffset, size - kAttributesOffset);
      if (stored != actual) return stop(ScanError::kBadCrc);
    }
    BatchHeader h = ParseBatchHeader(p, position_base + pos);
    if (!OffsetsValid(h)) return stop(ScanError::kBadOffsets);
    if (options.require_increasing_offsets && h.base_offset <= prev_last_offset) {
      return stop(ScanError::kBadOffsets);
    }
    if (options.validate != nullptr) {
      ValidationResult v;
      Status s = ValidateBatch(p, static_cast<size_t>(size), *options.validate, &v);
      if (!s.ok()) {
        r.record_error = std::move(s);
        r.record_index = v.record_index;
        return stop(ScanError::kBadRecords);
      }
      h.records_max_timestamp = v.max_timestamp;
    }
    prev_last_offset = h.last_offset();
    if (out != nullptr) out->push_back(h);
    ++r.count;
    pos += size;
    r.valid_bytes = pos;
  }
  r.error_position = r.valid_bytes;
  return r;
}

Status StampBatches(uint8_t* data, size_t len, int64_t first_offset, int64_t log_append_time_ms,
                    int32_t partition_leader_epoch, int64_t* next_offset) {
  // Walk once without writing so a malformed input leaves the buffer untouched.
  size_t pos = 0;
  while (pos < len) {
    if (len - pos < kBatchHeaderBytes) {
      return Status::Error("CORRUPT_BATCH", "stampBatches: truncated batch header");
    }
    const int32_t batch_length = static_cast<int32_t>(LoadBe32(data + pos + kLengthOffset));
    const int32_t delta = static_cast<int32_t>(LoadBe32(data + pos + kLastOffsetDeltaOffset));
    if (batch_length < kMinBatchLength || len - pos - kLogOverhead < static_cast<size_t>(batch_length)) {
      return Status::Error("CORRUPT_BATCH", "stampBatches: bad batch length");
    }
    if (data[pos + kMagicOffset] != kMagicV2 || delta < 0) {
      return Status::Error("CORRUPT_BATCH", "stampBatches: not a valid magic-2 batch");
    }
    pos += static_cast<size_t>(batch_length) + kLogOverhead;
  }

  int64_t offset = first_offset;
  pos = 0;
  while (pos < len) {
    uint8_t* p = data + pos;
    const size_t size = static_cast<size_t>(static_cast<int32_t>(LoadBe32(p + kLengthOffset))) + kLogOverhead;
    const int32_t delta = static_cast<int32_t>(LoadBe32(p + kLastOffsetDeltaOffset));
    StoreBe64(p + kBaseOffsetOffset, static_cast<uint64_t>(offset));
    if (partition_leader_epoch >= 0) {
      StoreBe32(p + kPartitionLeaderEpochOffset, static_cast<uint32_t>(partition_leader_epoch));
    }
    if (log_append_time_ms >= 0) {
      const uint16_t attributes = LoadBe16(p + kAttributesOffset);
      const int64_t max_timestamp = static_cast<int64_t>(LoadBe64(p + kMaxTimestampOffset));
      if ((attributes & kTimestampTypeBit) == 0 || max_timestamp != log_append_time_ms) {
        StoreBe16(p + kAttributesOffset, static_cast<uint16_t>(attributes | kTimestampTypeBit));
        StoreBe64(p + kMaxTimestampOffset, static_cast<uint64_t>(log_append_time_ms));
        StoreBe32(p + kCrcOffset, Crc32c(0, p + kAttributesOffset, size - kAttributesOffset));
      }
    }
    offset += int64_t{delta} + 1;
    pos += size;
  }
  *next_offset = offset;
  return Status::Ok();
}

}  // namespace sluice
