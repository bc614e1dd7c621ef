// JS surface of the checksums: crc32c, crc32cRange, crc32cPortable, crc32cImplementation,
// crc32 (see Binding in src/native.ts).
#include "crc32.h"
#include "crc32c.h"
#include "napi_util.h"

namespace sluice {
namespace {

// Optional `init` at argument i: undefined or absent means 0.
bool ArgInitCrc(const Napi::CallbackInfo& info, size_t i, uint32_t* out) {
  *out = 0;
  if (info.Length() <= i || info[i].IsUndefined()) return true;
  if (!info[i].IsNumber()) {
    ThrowTypeError(info.Env(), "init must be a number");
    return false;
  }
  *out = info[i].As<Napi::Number>().Uint32Value();
  return true;
}

template <uint32_t (*kCrc)(uint32_t, const uint8_t*, size_t)>
Napi::Value JS_Crc(const Napi::CallbackInfo& info) {
  Napi::Buffer<uint8_t> buf;
  uint32_t init = 0;
  if (!ArgBuffer(info, 0, &buf) || !ArgInitCrc(info, 1, &init)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), kCrc(init, buf.Data(), buf.Length()));
}

Napi::Value JS_Crc32cRange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> buf;
  double start = 0;
  double end = 0;
  if (!ArgBuffer(info, 0, &buf) || !ArgNumber(info, 1, &start) || !ArgNumber(info, 2, &end)) {
    return env.Undefined();
  }
  if (!(start >= 0 && start <= end && end <= static_cast<double>(buf.Length())) ||
      start != static_cast<double>(static_cast<size_t>(start)) ||
      end != static_cast<double>(static_cast<size_t>(end))) {
    Napi::RangeError::New(env, "crc32cRange: need integers 0 <= start <= end <= length")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const size_t s = static_cast<size_t>(start);
  const size_t e = static_cast<size_t>(end);
  return Napi::Number::New(env, Crc32c(0, buf.Data() + s, e - s));
}

Napi::Value JS_Crc32cImplementation(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), Crc32cImplementation());
}

}  // namespace

void InitCrc(Napi::Env env, Napi::Object exports) {
  exports.Set("crc32c", Napi::Function::New(env, JS_Crc<Crc32c>, "crc32c"));
  exports.Set("crc32cRange", Napi::Function::New(env, JS_Crc32cRange, "crc32cRange"));
  exports.Set("crc32cPortable", Napi::Function::New(env, JS_Crc<Crc32cPortable>, "crc32cPortable"));
  exports.Set("crc32cImplementation",
              Napi::Function::New(env, JS_Crc32cImplementation, "crc32cImplementation"));
  exports.Set("crc32", Napi::Function::New(env, JS_Crc<Crc32>, "crc32"));
}

}  // namespace sluice
