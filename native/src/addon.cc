// Addon entry point: registers every module and keeps the NativeError class handed in by JS.
#include <napi.h>

#include "napi_util.h"

namespace sluice {

Napi::Value MakeError(Napi::Env env, const Status& s) {
  auto* data = env.GetInstanceData<AddonData>();
  Napi::Value message = Napi::String::New(env, s.message());
  Napi::Value code = Napi::String::New(env, s.code());
  Napi::Value syscall = s.syscall().empty() ? env.Undefined() : Napi::String::New(env, s.syscall());
  Napi::Value path = s.path().empty() ? env.Undefined() : Napi::String::New(env, s.path());
  if (data != nullptr && !data->native_error.IsEmpty()) {
    return data->native_error.New({message, code, syscall, path});
  }
  Napi::Error err = Napi::Error::New(env, s.message());
  err.Set("code", code);
  return err.Value();
}

void ThrowStatus(Napi::Env env, const Status& s) {
  Napi::Value err = MakeError(env, s);
  if (env.IsExceptionPending()) return;
  napi_throw(env, err);
}

void ThrowTypeError(Napi::Env env, const char* message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
}

bool ArgBuffer(const Napi::CallbackInfo& info, size_t i, Napi::Buffer<uint8_t>* out) {
  if (info.Length() <= i || !info[i].IsBuffer()) {
    ThrowTypeError(info.Env(), "expected a Buffer argument");
    return false;
  }
  *out = info[i].As<Napi::Buffer<uint8_t>>();
  return true;
}

bool ArgNumber(const Napi::CallbackInfo& info, size_t i, double* out) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    ThrowTypeError(info.Env(), "expected a number argument");
    return false;
  }
  *out = info[i].As<Napi::Number>().DoubleValue();
  return true;
}

bool ArgInt64(const Napi::CallbackInfo& info, size_t i, int64_t* out) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    ThrowTypeError(info.Env(), "expected an integer argument");
    return false;
  }
  *out = info[i].As<Napi::Number>().Int64Value();
  return true;
}

bool ArgString(const Napi::CallbackInfo& info, size_t i, std::string* out) {
  if (info.Length() <= i || !info[i].IsString()) {
    ThrowTypeError(info.Env(), "expected a string argument");
    return false;
  }
  *out = info[i].As<Napi::String>().Utf8Value();
  return true;
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i, bool* out) {
  if (info.Length() <= i || !info[i].IsBoolean()) {
    ThrowTypeError(info.Env(), "expected a boolean argument");
    return false;
  }
  *out = info[i].As<Napi::Boolean>().Value();
  return true;
}

namespace {

Napi::Value JS_Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    ThrowTypeError(env, "init(NativeError) expects the error class");
    return env.Undefined();
  }
  auto* data = env.GetInstanceData<AddonData>();
  data->native_error = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonData());
  exports.Set("init", Napi::Function::New(env, JS_Init, "init"));
  InitCrc(env, exports);
  InitBatch(env, exports);
  InitScanArgs(env, exports);
  InitCodecs(env, exports);
  InitSegmentFile(env, exports);
  InitIndexFile(env, exports);
  InitFsOps(env, exports);
  InitSegmentRecovery(env, exports);
  InitAllocatorTuning(env, exports);
  return exports;
}

}  // namespace

}  // namespace sluice

// NODE_API_MODULE pastes its argument into an identifier, so it needs an unqualified name.
static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return sluice::Init(env, exports); }

NODE_API_MODULE(sluice_native, InitAddon)
