// JS surface of batch validation: scanBatches and stampBatches (see Binding in src/native.ts).
// BatchScan.headers is a Float64Array of kBatchFields doubles per batch, in the BatchField
// order of src/native.ts.
#include <algorithm>
#include <cmath>

#include "batch_format.h"
#include "crc32c.h"
#include "napi_util.h"

namespace sluice {
namespace {

constexpr size_t kBatchFields = 12;
constexpr double kMaxSafeDouble = 9007199254740991.0;

bool IsPresent(const Napi::Value& v) { return !v.IsUndefined() && !v.IsNull(); }

// Reads the ScanOptions object at argument i (absent/undefined = defaults). Its
// maxUncompressedBytes, when present, turns record validation on (client rules unless
// storedBatches is true) with *validate as the options.
bool ArgScanOptions(const Napi::CallbackInfo& info, size_t i, ScanOptions* options, size_t* max_bytes,
                    ValidateOptions* validate) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !IsPresent(info[i])) return true;
  if (!info[i].IsObject()) {
    ThrowTypeError(env, "options must be an object");
    return false;
  }
  Napi::Object o = info[i].As<Napi::Object>();
  Napi::Value verify = o.Get("verifyCrc");
  if (IsPresent(verify)) {
    if (!verify.IsBoolean()) {
      ThrowTypeError(env, "options.verifyCrc must be a boolean");
      return false;
    }
    options->verify_crc = verify.As<Napi::Boolean>().Value();
  }
  Napi::Value max_batch = o.Get("maxBatchBytes");
  if (IsPresent(max_batch)) {
    if (!max_batch.IsNumber() || !(max_batch.As<Napi::Number>().DoubleValue() >= 0)) {
      ThrowTypeError(env, "options.maxBatchBytes must be a non-negative number");
      return false;
    }
    const double v = max_batch.As<Napi::Number>().DoubleValue();
    options->max_batch_bytes = v >= 4294967295.0 ? 0xffffffffu : static_cast<uint32_t>(v);
  }
  Napi::Value uncompressed = o.Get("maxUncompressedBytes");
  if (IsPresent(uncompressed)) {
    if (!uncompressed.IsNumber() || !(uncompressed.As<Napi::Number>().DoubleValue() >= 0)) {
      ThrowTypeError(env, "options.maxUncompressedBytes must be a non-negative number");
      return false;
    }
    validate->max_uncompressed_bytes = static_cast<size_t>(std::min(uncompressed.As<Napi::Number>().DoubleValue(), 1e15));
    Napi::Value stored = o.Get("storedBatches");
    validate->from_client = !(stored.IsBoolean() && stored.As<Napi::Boolean>().Value());
    options->validate = validate;
  }
  Napi::Value limit = o.Get("maxBytes");
  if (IsPresent(limit)) {
    if (!limit.IsNumber() || !(limit.As<Napi::Number>().DoubleValue() >= 0)) {
      ThrowTypeError(env, "options.maxBytes must be a non-negative number");
      return false;
    }
    const double v = limit.As<Napi::Number>().DoubleValue();
    if (v < static_cast<double>(*max_bytes)) *max_bytes = static_cast<size_t>(v);
  }
  if (env.IsExceptionPending()) return false;
  return true;
}

// Writes the first `n` headers as kBatchFields doubles each, in the BatchField order.
void WriteHeaderFields(const std::vector<BatchHeader>& headers, size_t n, double* f) {
  for (size_t i = 0; i < n; ++i, f += kBatchFields) {
    const BatchHeader& h = headers[i];
    f[0] = static_cast<double>(h.position);
    f[1] = h.size;
    f[2] = static_cast<double>(h.base_offset);
    f[3] = h.last_offset_delta;
    f[4] = h.partition_leader_epoch;
    f[5] = h.attributes;
    f[6] = static_cast<double>(h.base_timestamp);
    f[7] = static_cast<double>(h.max_timestamp);
    f[8] = static_cast<double>(h.producer_id);
    f[9] = h.producer_epoch;
    f[10] = h.base_sequence;
    f[11] = h.record_count;
  }
}

Napi::Value JS_ScanBatches(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> buf;
  if (!ArgBuffer(info, 0, &buf)) return env.Undefined();
  ScanOptions options;
  ValidateOptions validate;
  size_t len = buf.Length();
  if (!ArgScanOptions(info, 1, &options, &len, &validate)) return env.Undefined();

  std::vector<BatchHeader> headers;
  ScanResult r = ScanBatches(buf.Data(), len, options, &headers);

  Napi::Float64Array fields = Napi::Float64Array::New(env, headers.size() * kBatchFields);
  if (env.IsExceptionPending()) return env.Undefined();
  WriteHeaderFields(headers, headers.size(), fields.Data());

  Napi::Object result = Napi::Object::New(env);
  result.Set("count", Napi::Number::New(env, static_cast<double>(r.count)));
  result.Set("validBytes", Napi::Number::New(env, static_cast<double>(r.valid_bytes)));
  result.Set("headers", fields);
  const char* error = ScanErrorName(r.error);
  result.Set("error", error == nullptr ? env.Null() : Napi::String::New(env, error));
  result.Set("errorPosition", Napi::Number::New(env, static_cast<double>(r.error_position)));
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
  double max_batch = 0;
  double max_uncompressed = 0;
  if (!ArgBuffer(info, 0, &buf) || !ArgNumber(info, 1, &max_batch) || !ArgNumber(info, 2, &max_uncompressed)) {
    return env.Undefined();
  }
  if (info.Length() <= 3 || !info[3].IsTypedArray() ||
      info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    ThrowTypeError(env, "validateBatchesInto expects a Float64Array to write headers into");
    return env.Undefined();
  }
  if (!(max_batch >= 0) || !(max_uncompressed >= 0)) {
    ThrowTypeError(env, "maxBatchBytes and maxUncompressedBytes must be non-negative numbers");
    return env.Undefined();
  }
  Napi::Float64Array out = info[3].As<Napi::Float64Array>();
  ValidateOptions validate;
  validate.max_uncompressed_bytes = static_cast<size_t>(std::min(max_uncompressed, 1e15));
  ScanOptions options;
  options.verify_crc = true;
  options.max_batch_bytes = max_batch >= 4294967295.0 ? 0xffffffffu : static_cast<uint32_t>(max_batch);
  options.validate = &validate;
  std::vector<BatchHeader> headers;
  ScanResult r = ScanBatches(buf.Data(), buf.Length(), options, &headers);
  if (r.error != ScanError::kNone || r.count == 0) return Napi::Number::New(env, -1);
  FixMaxTimestamps(buf.Data(), &headers);
  WriteHeaderFields(headers, std::min(headers.size(), out.ElementLength() / kBatchFields), out.Data());
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
  bool verify_crc = true;
  double max_batch = 0;
  if (!ArgBuffer(info, 0, &buf) || !ArgBool(info, 1, &verify_crc) || !ArgNumber(info, 2, &max_batch)) {
    return env.Undefined();
  }
  if (info.Length() <= 3 || !info[3].IsTypedArray() ||
      info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    ThrowTypeError(env, "scanBatchesInto expects a Float64Array to write headers into");
    return env.Undefined();
  }
  if (!(max_batch >= 0)) {
    ThrowTypeError(env, "maxBatchBytes must be a non-negative number");
    return env.Undefined();
  }
  Napi::Float64Array out = info[3].As<Napi::Float64Array>();
  ScanOptions options;
  options.verify_crc = verify_crc;
  options.max_batch_bytes = max_batch >= 4294967295.0 ? 0xffffffffu : static_cast<uint32_t>(max_batch);
  std::vector<BatchHeader> headers;
  ScanResult r = ScanBatches(buf.Data(), buf.Length(), options, &headers);
  if (r.error != ScanError::kNone || r.count == 0) return Napi::Number::New(env, -1);
  WriteHeaderFields(headers, std::min(headers.size(), out.ElementLength() / kBatchFields), out.Data());
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
