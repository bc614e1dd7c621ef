// Record validation of one magic-2 record batch, as Kafka's LogValidator, DefaultRecordBatch and
// DefaultRecord check it: the records inside a batch whose framing and CRC are already known to
// be good. A record (inside the records section, decompressed when the batch is compressed):
//
//   length          varint   bytes of the record after this field (>= 6)
//   attributes      int8     unused
//   timestampDelta  varlong  timestamp - batch baseTimestamp
//   offsetDelta     varint   offset - batch baseOffset
//   keyLength       varint   -1 = null
//   key             bytes
//   valueLength     varint   -1 = null
//   value           bytes
//   headerCount     varint   >= 0
//   headers         [headerKeyLength varint >= 0, headerKey, headerValueLength varint >= -1, headerValue]
//
// Rules, and the Kafka error each gets:
//   - the batch's framing (length = bytes given, magic 2, codec 0-4)         CORRUPT_MESSAGE
//   - client batches: recordCount > 0 and == lastOffsetDelta + 1, record i has offsetDelta i;
//     stored batches (recovery; compaction removes records): 0 <= recordCount <= lastOffsetDelta
//     + 1 and offset deltas strictly increase within [0, lastOffsetDelta]   INVALID_RECORD
//   - every varint at most 5 (varlong 10) bytes, every length inside its record, every record
//     inside the section, exactly recordCount records and no bytes after them  INVALID_RECORD
//   - key/value/header-value lengths >= -1, header key lengths and counts >= 0  INVALID_RECORD
//   - a compressed section decompresses (CORRUPT_MESSAGE), to at most max_uncompressed_bytes:
//     it is decoded as a stream through a fixed per-thread window and never inflated whole, so a
//     decompression bomb costs at most that many bytes of decoding     CORRUPT_MESSAGE
//
// Plain C++ (no N-API), so fuzz targets and unit tests call it directly; never reads outside
// [data, data + len), never allocates per record.
#pragma once

#include <cstddef>
#include <cstdint>

#include "status.h"

namespace sluice {

struct ValidateOptions {
  // Bound on a compressed batch's decoded records section (the decompression-bomb bound).
  size_t max_uncompressed_bytes = size_t{64} << 20;
  // Client appends follow Kafka's rules for AppendOrigin.CLIENT; stored batches may have been
  // compacted (fewer records than offsets, gaps in offset deltas, empty batches).
  bool from_client = true;
};

struct ValidationResult {
  // Index in the batch of the record that failed (Kafka's batch_index), or -1 when the batch as
  // a whole did.
  int32_t record_index = -1;
  // Largest record timestamp (Kafka's maxBatchTimestamp; -1 when none), for CreateTime batches.
  int64_t max_timestamp = -1;
  // Bytes of the (decompressed) records section.
  uint64_t records_bytes = 0;
};

// Validates the whole batch data[0, len). Ok, or an error whose code is Kafka's error name
// ("INVALID_RECORD", "CORRUPT_MESSAGE"; "ENOMEM" if a codec cannot allocate its state), with
// result->record_index saying which record.
Status ValidateBatch(const uint8_t* data, size_t len, const ValidateOptions& options,
                     ValidationResult* result);

// Releases this thread's decompression state (contexts, window); the next validation of a
// compressed batch on this thread recreates it. Called after a batch left it unusually large.
void ReleaseValidatorScratch();

}  // namespace sluice
