// The one place where a Status becomes a thrown JS error. The NativeError class is handed
// to us by src/native.ts through init(), as better-sqlite3 does with SqliteError, so errors
// thrown by C++ are instances of the TypeScript class.
#pragma once

#include <napi.h>

#include "status.h"

namespace sluice {

struct AddonData {
  Napi::FunctionReference native_error;
};

// Builds a NativeError (or a plain Error before init) for `s`.
Napi::Value MakeError(Napi::Env env, const Status& s);

// Throws `s` as a NativeError. Call only with a non-ok status, then return an empty value.
void ThrowStatus(Napi::Env env, const Status& s);

// Throws a TypeError (programmer error: wrong argument shape).
void ThrowTypeError(Napi::Env env, const char* message);

// Argument helpers: return false (with a TypeError pending) when the argument is not of the
// expected type.
bool ArgBuffer(const Napi::CallbackInfo& info, size_t i, Napi::Buffer<uint8_t>* out);
bool ArgNumber(const Napi::CallbackInfo& info, size_t i, double* out);
bool ArgInt64(const Napi::CallbackInfo& info, size_t i, int64_t* out);
bool ArgString(const Napi::CallbackInfo& info, size_t i, std::string* out);
bool ArgBool(const Napi::CallbackInfo& info, size_t i, bool* out);

// Module initialisers, one per source file; each adds its functions/classes to `exports`.
void InitCrc(Napi::Env env, Napi::Object exports);
void InitBatch(Napi::Env env, Napi::Object exports);
void InitScanArgs(Napi::Env env, Napi::Object exports);
void InitCodecs(Napi::Env env, Napi::Object exports);
void InitSegmentFile(Napi::Env env, Napi::Object exports);
void InitIndexFile(Napi::Env env, Napi::Object exports);
void InitFsOps(Napi::Env env, Napi::Object exports);
void InitSegmentRecovery(Napi::Env env, Napi::Object exports);
void InitAllocatorTuning(Napi::Env env, Napi::Object exports);

}  // namespace sluice
