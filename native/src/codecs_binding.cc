// JS surface of the codecs: compress and decompress (see Binding in src/native.ts).
#include <algorithm>
#include <cmath>
#include <vector>

#include "codecs.h"
#include "napi_util.h"

namespace sluice {
namespace {

// The synchronous calls work in a per-thread scratch vector whose pages stay warm from call
// to call (fresh memory costs a page fault per 4 KiB, more than decoding it), then copy the
// exact result into a V8 Buffer. Scratch grown past this is released after the call.
constexpr size_t kKeepScratchBytes = 8 << 20;
// Largest Buffer Node accepts on 64-bit platforms (buffer.constants.MAX_LENGTH in Node 20+).
constexpr double kMaxBufferBytes = 4294967296.0;

bool ArgCodec(const Napi::CallbackInfo& info, size_t i, int* codec) {
  double v = 0;
  if (!ArgNumber(info, i, &v)) return false;
  if (std::trunc(v) != v || !IsValidCodec(static_cast<int>(v))) {
    ThrowTypeError(info.Env(), "codec must be 0 (none), 1 (gzip), 2 (snappy), 3 (lz4) or 4 (zstd)");
    return false;
  }
  *codec = static_cast<int>(v);
  return true;
}

// Optional level: absent/undefined/negative = codec default.
bool ArgLevel(const Napi::CallbackInfo& info, size_t i, int* level) {
  *level = -1;
  if (info.Length() <= i || info[i].IsUndefined()) return true;
  if (!info[i].IsNumber()) {
    ThrowTypeError(info.Env(), "level must be a number");
    return false;
  }
  const double v = info[i].As<Napi::Number>().DoubleValue();
  *level = v < 0 || std::isnan(v) ? -1 : static_cast<int>(std::min(v, 1000.0));
  return true;
}

// Optional maxOutputBytes: absent/undefined = kDefaultMaxOutputBytes.
bool ArgMaxOutput(const Napi::CallbackInfo& info, size_t i, size_t* max_output_bytes) {
  *max_output_bytes = kDefaultMaxOutputBytes;
  if (info.Length() <= i || info[i].IsUndefined()) return true;
  if (!info[i].IsNumber() || !(info[i].As<Napi::Number>().DoubleValue() >= 0)) {
    ThrowTypeError(info.Env(), "maxOutputBytes must be a non-negative number");
    return false;
  }
  const double v = std::min(info[i].As<Napi::Number>().DoubleValue(), kMaxBufferBytes);
  *max_output_bytes = static_cast<size_t>(v);
  return true;
}

struct CodecArgs {
  int codec = 0;
  Napi::Buffer<uint8_t> data;
  int level = -1;
  size_t max_output_bytes = kDefaultMaxOutputBytes;
};

bool ParseArgs(const Napi::CallbackInfo& info, bool compress, CodecArgs* args) {
  if (!ArgCodec(info, 0, &args->codec) || !ArgBuffer(info, 1, &args->data)) return false;
  return compress ? ArgLevel(info, 2, &args->level) : ArgMaxOutput(info, 2, &args->max_output_bytes);
}

template <bool kCompress>
Napi::Value JS_Codec(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CodecArgs args;
  if (!ParseArgs(info, kCompress, &args)) return env.Undefined();
  thread_local std::vector<uint8_t> scratch;
  Status s = kCompress ? Compress(args.codec, args.data.Data(), args.data.Length(), args.level, &scratch)
                       : Decompress(args.codec, args.data.Data(), args.data.Length(), args.max_output_bytes,
                                    &scratch);
  Napi::Value result = env.Undefined();
  if (s.ok()) {
    result = Napi::Buffer<uint8_t>::Copy(env, scratch.data(), scratch.size());
  } else {
    ThrowStatus(env, s);
  }
  if (scratch.capacity() > kKeepScratchBytes) std::vector<uint8_t>().swap(scratch);
  return result;
}

}  // namespace

void InitCodecs(Napi::Env env, Napi::Object exports) {
  exports.Set("compress", Napi::Function::New(env, JS_Codec<true>, "compress"));
  exports.Set("decompress", Napi::Function::New(env, JS_Codec<false>, "decompress"));
}

}  // namespace sluice
