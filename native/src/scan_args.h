// The N-API side of batch scans, shared by every function that takes scan options or returns
// batch headers (batch_binding.cc, segment_file.cc, segment_recovery.cc): one parser of the
// ScanOptions object and of maxBatchBytes, one builder of the BatchScan object.
#pragma once

#include <napi.h>

#include <cstdint>
#include <vector>

#include "batch_format.h"
#include "record_validator.h"

namespace sluice {

// maxBatchBytes (whole batch size, bytes) at argument i: a non-negative number. Values past
// 2^32 - 1 mean no limit beyond the format's own. False with a TypeError pending otherwise.
bool ArgMaxBatchBytes(const Napi::CallbackInfo& info, size_t i, uint32_t* out);

// The ScanOptions object of src/native.ts at argument i (absent, undefined or null: defaults):
// verifyCrc, maxBatchBytes (as ArgMaxBatchBytes), maxBytes (into *max_bytes, UINT64_MAX when
// absent), and maxUncompressedBytes, which turns record validation on with *validate as its
// options (client rules unless storedBatches is true). False with a TypeError pending when a
// field has the wrong type.
bool ArgScanOptions(const Napi::CallbackInfo& info, size_t i, ScanOptions* options, uint64_t* max_bytes,
                    ValidateOptions* validate);

// The Float64Array at argument i that batch headers are written into; false with a TypeError
// pending when it is not one.
bool ArgSlotArray(const Napi::CallbackInfo& info, size_t i, const char* fn, Napi::Float64Array* out);

// The BatchScan object of src/native.ts: count, validBytes, headers (kBatchSlots doubles per
// batch, batch_slots.h), error, errorPosition.
Napi::Object MakeBatchScan(Napi::Env env, const std::vector<BatchHeader>& headers, uint64_t valid_bytes,
                           ScanError error, uint64_t error_position);

// Adds the slot-name table (batchSlotNames) to the exports.
void InitScanArgs(Napi::Env env, Napi::Object exports);

}  // namespace sluice
