// JS surface of the codecs: compress, decompress and their thread-pool variants
// compressAsync / decompressAsync (see Binding in src/native.ts).
#include <cmath>
#include <memory>
#include <utility>
#include <vector>

#include "codecs.h"
#include "napi_util.h"

namespace sluice {
namespace {

// Async outputs below this are copied into a V8-owned Buffer; larger ones are handed over
// without a copy as an external Buffer that owns the vector.
constexpr size_t kCopyBelowBytes = 64 * 1024;
// The synchronous calls work in a per-thread scratch vector whose pages stay warm from call
// to call (fresh memory costs a page fault per 4 KiB, more than decoding it), then copy the
// exact result into a V8 Buffer. Scratch grown past this is released after the call.
constexpr size_t kKeepScratchBytes = 8 << 20;
// Largest Buffer Node accepts on 64-bit platforms (buffer.constants.MAX_LENGTH in Node 20+).
constexpr double kMaxBufferBytes = 4294967296.0;

Napi::Value ToBuffer(Napi::Env env, std::vector<uint8_t>&& bytes) {
  if (bytes.size() < kCopyBelowBytes) {
    return Napi::Buffer<uint8_t>::Copy(env, bytes.data(), bytes.size());
  }
  auto* owned = new std::vector<uint8_t>(std::move(bytes));
  const int64_t accounted = static_cast<int64_t>(owned->capacity());
  Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(
      env, owned->data(), owned->size(),
      [](Napi::Env finalize_env, uint8_t*, std::vector<uint8_t>* v) {
        Napi::MemoryManagement::AdjustExternalMemory(finalize_env, -static_cast<int64_t>(v->capacity()));
        delete v;
      },
      owned);
  if (env.IsExceptionPending()) {
    delete owned;
    return env.Undefined();
  }
  // Lets V8 see the memory an external Buffer holds, so GC pressure matches reality.
  Napi::MemoryManagement::AdjustExternalMemory(env, accounted);
  return buf;
}

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
                       : Decompress(args.codec, args.data.Data(), args.data.Length(),
                                    args.max_output_bytes, &scratch);
  Napi::Value result = env.Undefined();
  if (s.ok()) {
    result = Napi::Buffer<uint8_t>::Copy(env, scratch.data(), scratch.size());
  } else {
    ThrowStatus(env, s);
  }
  if (scratch.capacity() > kKeepScratchBytes) std::vector<uint8_t>().swap(scratch);
  return result;
}

// Runs one Compress/Decompress on the libuv pool. The input Buffer stays referenced until
// the work completes, so its bytes cannot be collected underneath the worker.
class CodecWorker : public Napi::AsyncWorker {
 public:
  CodecWorker(Napi::Env env, bool compress, const CodecArgs& args)
      : Napi::AsyncWorker(env, "sluice.codec"),
        deferred_(Napi::Promise::Deferred::New(env)),
        input_ref_(Napi::Persistent(args.data.As<Napi::Object>())),
        compress_(compress),
        codec_(args.codec),
        data_(args.data.Data()),
        length_(args.data.Length()),
        level_(args.level),
        max_output_bytes_(args.max_output_bytes) {}

  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    status_ = compress_ ? Compress(codec_, data_, length_, level_, &out_)
                        : Decompress(codec_, data_, length_, max_output_bytes_, &out_);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!status_.ok()) {
      deferred_.Reject(MakeError(env, status_));
      return;
    }
    Napi::Value buf = ToBuffer(env, std::move(out_));
    if (env.IsExceptionPending()) {
      Napi::Error e = env.GetAndClearPendingException();
      deferred_.Reject(e.Value());
      return;
    }
    deferred_.Resolve(buf);
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference input_ref_;
  bool compress_;
  int codec_;
  const uint8_t* data_;
  size_t length_;
  int level_;
  size_t max_output_bytes_;
  Status status_;
  std::vector<uint8_t> out_;
};

template <bool kCompress>
Napi::Value JS_CodecAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CodecArgs args;
  if (!ParseArgs(info, kCompress, &args)) return env.Undefined();
  auto* worker = new CodecWorker(env, kCompress, args);
  Napi::Promise promise = worker->promise();
  worker->Queue();  // the worker deletes itself after OnOK
  return promise;
}

}  // namespace

void InitCodecs(Napi::Env env, Napi::Object exports) {
  exports.Set("compress", Napi::Function::New(env, JS_Codec<true>, "compress"));
  exports.Set("decompress", Napi::Function::New(env, JS_Codec<false>, "decompress"));
  exports.Set("compressAsync", Napi::Function::New(env, JS_CodecAsync<true>, "compressAsync"));
  exports.Set("decompressAsync", Napi::Function::New(env, JS_CodecAsync<false>, "decompressAsync"));
}

}  // namespace sluice
