// Record batch (magic 2) layout, as Kafka's DefaultRecordBatch names it. All integers are
// big-endian. The CRC-32C covers bytes [kAttributesOffset, end of batch).
//
//   offset  size  field
//        0     8  baseOffset
//        8     4  batchLength          (bytes after this field: whole size = batchLength + 12)
//       12     4  partitionLeaderEpoch
//       16     1  magic                (2)
//       17     4  crc                  (CRC-32C, unsigned)
//       21     2  attributes           (bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control)
//       23     4  lastOffsetDelta
//       27     8  baseTimestamp
//       35     8  maxTimestamp
//       43     8  producerId
//       51     2  producerEpoch
//       53     4  baseSequence
//       57     4  recordCount
//       61     -  records
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "record_validator.h"
#include "status.h"

namespace sluice {

constexpr size_t kBaseOffsetOffset = 0;
constexpr size_t kLengthOffset = 8;
constexpr size_t kPartitionLeaderEpochOffset = 12;
constexpr size_t kMagicOffset = 16;
constexpr size_t kCrcOffset = 17;
constexpr size_t kAttributesOffset = 21;
constexpr size_t kLastOffsetDeltaOffset = 23;
constexpr size_t kBaseTimestampOffset = 27;
constexpr size_t kMaxTimestampOffset = 35;
constexpr size_t kProducerIdOffset = 43;
constexpr size_t kProducerEpochOffset = 51;
constexpr size_t kBaseSequenceOffset = 53;
constexpr size_t kRecordCountOffset = 57;
constexpr size_t kRecordsOffset = 61;
constexpr size_t kLogOverhead = 12;  // baseOffset + batchLength
constexpr size_t kBatchHeaderBytes = kRecordsOffset;
constexpr int32_t kMinBatchLength = static_cast<int32_t>(kRecordsOffset - kLogOverhead);  // 49
constexpr uint8_t kMagicV2 = 2;
constexpr uint16_t kTimestampTypeBit = 0x08;
constexpr uint16_t kCodecMask = 0x07;

static_assert(kRecordsOffset == 61, "record batch header is 61 bytes");
static_assert(kMinBatchLength == 49, "smallest batchLength is 49");

// Offsets and producer ids above 2^53 cannot cross to JS as doubles exactly.
constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

inline uint16_t LoadBe16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t LoadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline uint64_t LoadBe64(const uint8_t* p) { return (uint64_t{LoadBe32(p)} << 32) | LoadBe32(p + 4); }
inline void StoreBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void StoreBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline void StoreBe64(uint8_t* p, uint64_t v) {
  StoreBe32(p, static_cast<uint32_t>(v >> 32));
  StoreBe32(p + 4, static_cast<uint32_t>(v));
}

// One validated batch header, with its position in the scanned bytes.
struct BatchHeader {
  uint64_t position = 0;
  uint32_t size = 0;  // batchLength + 12
  int64_t base_offset = 0;
  int32_t last_offset_delta = 0;
  int32_t partition_leader_epoch = 0;
  uint16_t attributes = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = 0;
  int16_t producer_epoch = 0;
  int32_t base_sequence = 0;
  int32_t record_count = 0;
  // With ScanOptions::validate: the largest record timestamp (ValidationResult::max_timestamp).
  int64_t records_max_timestamp = -1;

  int64_t last_offset() const { return base_offset + last_offset_delta; }
};

struct ScanOptions {
  bool verify_crc = true;
  uint32_t max_batch_bytes = 0x7fffffff;
  // When set, base offsets must strictly increase from batch to batch (file scans).
  bool require_increasing_offsets = false;
  // When set, the records inside each batch are validated too (record_validator.h), after its CRC.
  const ValidateOptions* validate = nullptr;
};

// Why a scan stopped early; kNone when the whole input was valid batches.
enum class ScanError {
  kNone,
  kTruncatedHeader,
  kTruncatedBody,
  kBadLength,
  kBadMagic,
  kBadCrc,
  kZeroFilled,
  kBadOffsets,
  kBadRecords,  // the records inside fail validation: ScanResult::record_error says how
};

const char* ScanErrorName(ScanError e);  // "TRUNCATED_HEADER", … ; nullptr for kNone

struct ScanResult {
  size_t count = 0;
  size_t valid_bytes = 0;
  ScanError error = ScanError::kNone;
  size_t error_position = 0;
  // kBadRecords: Kafka's error name and message, and the failing record's index in its batch.
  Status record_error;
  int32_t record_index = -1;
};

// Validates batches in data[0, len): length, magic, (optionally) CRC-32C, offsets. Appends
// the header of each valid batch to `out` (may be nullptr) with positions relative to
// `position_base`. Never reads outside [data, data+len).
ScanResult ScanBatches(const uint8_t* data, size_t len, const ScanOptions& options,
                       std::vector<BatchHeader>* out, uint64_t position_base = 0);

// Parses only the fixed header fields of the batch at `p` (which must hold >= 61 bytes);
// no validation beyond what the caller checks. Used by header walks over files.
BatchHeader ParseBatchHeader(const uint8_t* p, uint64_t position);

// Assigns offsets in place to batches already validated by ScanBatches, as Kafka's
// LogValidator does for magic 2 without recompression: batch i gets base offset
// first_offset + sum of (lastOffsetDelta + 1) of the batches before it (base offset is outside
// the CRC range: no CRC work). If log_append_time_ms >= 0, does what Kafka's
// DefaultRecordBatch.setMaxTimestamp(LOG_APPEND_TIME, t) does: sets the timestamp-type bit in
// the attributes and maxTimestamp = t, leaves baseTimestamp and the record deltas alone, and
// rewrites the CRC (skipped when both already hold). If partition_leader_epoch >= 0 it is
// written too (outside the CRC range). On success *next_offset is the offset after the last
// batch. Fails with CORRUPT_BATCH (touching nothing) if the bytes are not whole batches.
Status StampBatches(uint8_t* data, size_t len, int64_t first_offset, int64_t log_append_time_ms,
                    int32_t partition_leader_epoch, int64_t* next_offset);

}  // namespace sluice
