// JS surface of batch validation: scanBatches, scanBatchesInto, validateBatchesInto and
// stampBatches (see Binding in src/native.ts). Options and headers go through scan_args.h.
#include <algorithm>
#include <cmath>

#include "batch_format.h"
#include "batch_slots.h"
#include "crc32c.h"
#include "napi_util.h"
#include "scan_args.h"

namespace sluice {
namespace {

constexpr double kMaxSafeDouble = 9007199254740991.0;

Napi::Value JS_ScanBatches(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> buf;
  if (!ArgBuffer(info, 0, &buf)) return env.Undefined();
  ScanOptions options;
  ValidateOptions validate;
  uint64_t max_bytes = 0;
  if (!ArgScanOptions(info, 1, &options, &max_bytes, &validate)) return env.Undefined();
  const size_t len = static_cast<size_t>(std::min<uint64_t>(buf.Length(), max_bytes));

  std::vector<BatchHeader> headers;
  ScanResult r = ScanBatches(buf.Data(), len, options, &headers);
  Napi::Object result = MakeBatchScan(env, headers, r.valid_bytes, r.error, r.error_position);
  if (env.IsExceptionPending()) return env.Undefined();
  if (r.error == ScanError::kBadRecords) {
    Napi::Object record_error = Napi::Object::New(env);
    record_error.Set("code", Napi::String::New(env, r.record_error.code()));
    record_error.Set("message", Napi::String::New(env, r.record_error.message()));
    record_error.Set("batchIndex", Napi::Number::New(env, static_cast<double>(r.count)));
    record_error.Set("recordIndex", Napi::Number::New(env, r.record_index));
    result.Set("recordError", record_error);
  } else {
    result.Set("recordError", env.Null());
  }
  return result;
}

// What Kafka's LogValidator does to a CreateTime batch after reading its records:
// setMaxTimestamp(CREATE_TIME, max of the record timestamps), rewriting the CRC only when the
// value changes (clients that send -1 or a wrong maxTimestamp).
void FixMaxTimestamps(uint8_t* data, std::vector<BatchHeader>* headers) {
  for (BatchHeader& h : *headers) {
    if ((h.attributes & kTimestampTypeBit) != 0 || h.max_timestamp == h.records_max_timestamp) continue;
    uint8_t* p = data + h.position;
    StoreBe64(p + kMaxTimestampOffset, static_cast<uint64_t>(h.records_max_timestamp));
    StoreBe32(p + kCrcOffset, Crc32c(0, p + kAttributesOffset, h.size - kAttributesOffset));
    h.max_timestamp = h.records_max_timestamp;
  }
}

// validateBatchesInto(data, maxBatchBytes, maxUncompressedBytes, out): scanBatchesInto with CRC
// and the records of every batch validated under the client rules (record_validator.h), and the
// maxTimestamp of CreateTime batches set from their records. Returns the batch count, or -1 when
// `data` is not a sequence of valid batches (scanBatches with maxUncompressedBytes then says why).
Napi::Value JS_ValidateBatchesInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> buf;
  ScanOptions options;
  double max_uncompressed = 0;
  Napi::Float64Array out;
  if (!ArgBuffer(info, 0, &buf) || !ArgMaxBatchBytes(info, 1, &options.max_batch_bytes) ||
      !ArgNumber(info, 2, &max_uncompressed) || !ArgSlotArray(info, 3, "validateBatchesInto", &out)) {
    return env.Undefined();
  }
  if (!(max_uncompressed >= 0)) {
    ThrowTypeError(env, "maxUncompressedBytes must be a non-negative number");
    return env.Undefined();
  }
  ValidateOptions validate;
  validate.max_uncompressed_bytes = static_cast<size_t>(std::min(max_uncompressed, 1e15));
  options.verify_crc = true;
  options.validate = &validate;
  std::vector<BatchHeader> headers;
  ScanResult r = ScanBatches(buf.Data(), buf.Length(), options, &headers);
  if (r.error != ScanError::kNone || r.count == 0) return Napi::Number::New(env, -1);
  FixMaxTimestamps(buf.Data(), &headers);
  WriteBatchSlots(headers.data(), std::min(headers.size(), out.ElementLength() / kBatchSlots), out.Data());
  return Napi::Number::New(env, static_cast<double>(headers.size()));
}

// scanBatchesInto(data, verifyCrc, maxBatchBytes, out): the append path's scanBatches. Plain
// arguments and a caller-owned Float64Array instead of an options object and a result object:
// creating and reading those properties cost more than scanning a 100 KB batch without CRC.
// Returns the batch count with as many headers written as `out` holds, or -1 when the buffer
// is not a sequence of valid batches (scanBatches then says why).
Napi::Value JS_ScanBatchesInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> buf;
  ScanOptions options;
  Napi::Float64Array out;
  if (!ArgBuffer(info, 0, &buf) || !ArgBool(info, 1, &options.verify_crc) ||
      !ArgMaxBatchBytes(info, 2, &options.max_batch_bytes) ||
      !ArgSlotArray(info, 3, "scanBatchesInto", &out)) {
    return env.Undefined();
  }
  std::vector<BatchHeader> headers;
  ScanResult r = ScanBatches(buf.Data(), buf.Length(), options, &headers);
  if (r.error != ScanError::kNone || r.count == 0) return Napi::Number::New(env, -1);
  WriteBatchSlots(headers.data(), std::min(headers.size(), out.ElementLength() / kBatchSlots), out.Data());
  return Napi::Number::New(env, static_cast<double>(headers.size()));
}

bool ArgSafeInteger(const Napi::CallbackInfo& info, size_t i, const char* what, int64_t* out) {
  double v = 0;
  if (!ArgNumber(info, i, &v)) return false;
  if (!(std::fabs(v) <= kMaxSafeDouble) || std::trunc(v) != v) {
    Napi::RangeError::New(info.Env(), std::string(what) + " must be a safe integer")
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<int64_t>(v);
  return true;
}

Napi::Value JS_StampBatches(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> buf;
  int64_t first_offset = 0;
  int64_t log_append_time_ms = -1;
  int64_t leader_epoch = -1;
  if (!ArgBuffer(info, 0, &buf) || !ArgSafeInteger(info, 1, "firstOffset", &first_offset) ||
      !ArgSafeInteger(info, 2, "logAppendTimeMs", &log_append_time_ms) ||
      !ArgSafeInteger(info, 3, "partitionLeaderEpoch", &leader_epoch)) {
    return env.Undefined();
  }
  if (first_offset < 0 || leader_epoch > INT32_MAX) {
    Napi::RangeError::New(env, "stampBatches: firstOffset must be >= 0 and partitionLeaderEpoch an int32")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int64_t next_offset = 0;
  Status s = StampBatches(buf.Data(), buf.Length(), first_offset, log_append_time_ms,
                          static_cast<int32_t>(leader_epoch < 0 ? -1 : leader_epoch), &next_offset);
  if (!s.ok()) {
    ThrowStatus(env, s);
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(next_offset));
}

}  // namespace

void InitBatch(Napi::Env env, Napi::Object exports) {
  exports.Set("scanBatches", Napi::Function::New(env, JS_ScanBatches, "scanBatches"));
  exports.Set("scanBatchesInto", Napi::Function::New(env, JS_ScanBatchesInto, "scanBatchesInto"));
  exports.Set("validateBatchesInto", Napi::Function::New(env, JS_ValidateBatchesInto, "validateBatchesInto"));
  exports.Set("stampBatches", Napi::Function::New(env, JS_StampBatches, "stampBatches"));
}

}  // namespace sluice
