// See scan_args.h.
#include "scan_args.h"

#include <algorithm>

#include "batch_slots.h"
#include "napi_util.h"

namespace sluice {
namespace {

bool IsPresent(const Napi::Value& v) { return !v.IsUndefined() && !v.IsNull(); }

// A non-negative number (not NaN) in *out; false with a TypeError naming `what` otherwise.
bool NonNegative(Napi::Env env, const Napi::Value& v, const char* what, double* out) {
  if (!v.IsNumber() || !(v.As<Napi::Number>().DoubleValue() >= 0)) {
    ThrowTypeError(env, (std::string(what) + " must be a non-negative number").c_str());
    return false;
  }
  *out = v.As<Napi::Number>().DoubleValue();
  return true;
}

uint32_t MaxBatchBytesFrom(double v) { return v >= 4294967295.0 ? 0xffffffffu : static_cast<uint32_t>(v); }

}  // namespace

bool ArgMaxBatchBytes(const Napi::CallbackInfo& info, size_t i, uint32_t* out) {
  double v = 0;
  if (!NonNegative(info.Env(), info.Length() > i ? info[i] : info.Env().Undefined(), "maxBatchBytes", &v)) {
    return false;
  }
  *out = MaxBatchBytesFrom(v);
  return true;
}

bool ArgScanOptions(const Napi::CallbackInfo& info, size_t i, ScanOptions* options, uint64_t* max_bytes,
                    ValidateOptions* validate) {
  Napi::Env env = info.Env();
  *max_bytes = UINT64_MAX;
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
  double v = 0;
  Napi::Value max_batch = o.Get("maxBatchBytes");
  if (IsPresent(max_batch)) {
    if (!NonNegative(env, max_batch, "options.maxBatchBytes", &v)) return false;
    options->max_batch_bytes = MaxBatchBytesFrom(v);
  }
  Napi::Value limit = o.Get("maxBytes");
  if (IsPresent(limit)) {
    if (!NonNegative(env, limit, "options.maxBytes", &v)) return false;
    *max_bytes = v >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(v);
  }
  Napi::Value uncompressed = o.Get("maxUncompressedBytes");
  if (IsPresent(uncompressed)) {
    if (!NonNegative(env, uncompressed, "options.maxUncompressedBytes", &v)) return false;
    validate->max_uncompressed_bytes = static_cast<size_t>(std::min(v, 1e15));
    Napi::Value stored = o.Get("storedBatches");
    validate->from_client = !(stored.IsBoolean() && stored.As<Napi::Boolean>().Value());
    options->validate = validate;
  }
  return !env.IsExceptionPending();
}

bool ArgSlotArray(const Napi::CallbackInfo& info, size_t i, const char* fn, Napi::Float64Array* out) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    ThrowTypeError(info.Env(), (std::string(fn) + " expects a Float64Array to write headers into").c_str());
    return false;
  }
  *out = info[i].As<Napi::Float64Array>();
  return true;
}

Napi::Object MakeBatchScan(Napi::Env env, const std::vector<BatchHeader>& headers, uint64_t valid_bytes,
                           ScanError error, uint64_t error_position) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Float64Array slots = Napi::Float64Array::New(env, headers.size() * kBatchSlots);
  if (env.IsExceptionPending()) return o;
  WriteBatchSlots(headers.data(), headers.size(), slots.Data());
  o.Set("count", Napi::Number::New(env, static_cast<double>(headers.size())));
  o.Set("validBytes", Napi::Number::New(env, static_cast<double>(valid_bytes)));
  o.Set("headers", slots);
  const char* name = ScanErrorName(error);
  o.Set("error", name == nullptr ? env.Null() : Napi::String::New(env, name));
  o.Set("errorPosition", Napi::Number::New(env, static_cast<double>(error_position)));
  return o;
}

void InitScanArgs(Napi::Env env, Napi::Object exports) {
  Napi::Array names = Napi::Array::New(env, kBatchSlots);
  for (size_t i = 0; i < kBatchSlots; ++i)
    names.Set(static_cast<uint32_t>(i), Napi::String::New(env, kBatchSlotNames[i]));
  exports.Set("batchSlotNames", names);
}

}  // namespace sluice
