// JS binding of TuneAllocator: tuneAllocator(mmapThreshold, trimThreshold, topPad) -> boolean,
// and allocatorTuningCalled() -> boolean.
#include <napi.h>

#include <climits>

#include "allocator_tuning.h"
#include "napi_util.h"

namespace sluice {

namespace {

bool ArgMallocParam(const Napi::CallbackInfo& info, size_t i, int* out) {
  double v = 0;
  if (!ArgNumber(info, i, &v)) return false;
  if (!(v >= 0 && v <= INT_MAX) || v != static_cast<double>(static_cast<int>(v))) {
    ThrowTypeError(info.Env(), "allocator parameters must be integers in [0, 2^31)");
    return false;
  }
  *out = static_cast<int>(v);
  return true;
}

Napi::Value JS_TuneAllocator(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int mmap_threshold = 0;
  int trim_threshold = 0;
  int top_pad = 0;
  if (!ArgMallocParam(info, 0, &mmap_threshold) || !ArgMallocParam(info, 1, &trim_threshold) ||
      !ArgMallocParam(info, 2, &top_pad)) {
    return env.Undefined();
  }
  return Napi::Boolean::New(env, TuneAllocator(mmap_threshold, trim_threshold, top_pad));
}

Napi::Value JS_AllocatorTuningCalled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), AllocatorTuningCalled());
}

}  // namespace

void InitAllocatorTuning(Napi::Env env, Napi::Object exports) {
  exports.Set("tuneAllocator", Napi::Function::New(env, JS_TuneAllocator, "tuneAllocator"));
  exports.Set("allocatorTuningCalled",
              Napi::Function::New(env, JS_AllocatorTuningCalled, "allocatorTuningCalled"));
}

}  // namespace sluice
