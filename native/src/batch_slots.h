// The slots of one batch in a BatchScan's `headers` (a Float64Array of kBatchSlots doubles per
// batch; see BatchScan in src/native.ts). This header is the one place that orders them:
// WriteBatchSlots is the only writer, and src/native.ts mirrors the names in its BatchField
// enum. The addon exports kBatchSlotNames as `batchSlotNames` so a test checks the two agree.
//
// Offsets, timestamps and producer ids cross as doubles: exact below 2^53, which ScanBatches
// enforces for offsets and producer ids (batch_format.h, kMaxSafeInteger).
#pragma once

#include <cstddef>

#include "batch_format.h"

namespace sluice {

enum BatchSlot : size_t {
  kSlotPosition,  // byte position of the batch in the scanned buffer (or file)
  kSlotSize,      // whole batch size in bytes = batchLength + 12
  kSlotBaseOffset,
  kSlotLastOffsetDelta,
  kSlotPartitionLeaderEpoch,
  kSlotAttributes,
  kSlotBaseTimestamp,
  kSlotMaxTimestamp,
  kSlotProducerId,
  kSlotProducerEpoch,
  kSlotBaseSequence,
  kSlotRecordCount,
  kBatchSlots,  // slots per batch
};

// The names src/native.ts gives the slots (BatchField), in slot order.
inline constexpr const char* kBatchSlotNames[kBatchSlots] = {
    "Position",      "Size",         "BaseOffset", "LastOffsetDelta", "PartitionLeaderEpoch", "Attributes",
    "BaseTimestamp", "MaxTimestamp", "ProducerId", "ProducerEpoch",   "BaseSequence",         "RecordCount",
};

static_assert(kBatchSlots == 12, "a new slot needs its name above and in BatchField (src/native.ts)");

// Writes the first `n` headers to `out`, kBatchSlots doubles each.
inline void WriteBatchSlots(const BatchHeader* headers, size_t n, double* out) {
  for (size_t i = 0; i < n; ++i, out += kBatchSlots) {
    const BatchHeader& h = headers[i];
    out[kSlotPosition] = static_cast<double>(h.position);
    out[kSlotSize] = h.size;
    out[kSlotBaseOffset] = static_cast<double>(h.base_offset);
    out[kSlotLastOffsetDelta] = h.last_offset_delta;
    out[kSlotPartitionLeaderEpoch] = h.partition_leader_epoch;
    out[kSlotAttributes] = h.attributes;
    out[kSlotBaseTimestamp] = static_cast<double>(h.base_timestamp);
    out[kSlotMaxTimestamp] = static_cast<double>(h.max_timestamp);
    out[kSlotProducerId] = static_cast<double>(h.producer_id);
    out[kSlotProducerEpoch] = h.producer_epoch;
    out[kSlotBaseSequence] = h.base_sequence;
    out[kSlotRecordCount] = h.record_count;
  }
}

}  // namespace sluice
