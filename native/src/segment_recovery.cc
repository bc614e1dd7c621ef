// Segment recovery: scans a `.log` file from the start off the event loop, validates every
// batch (length, magic, CRC-32C, increasing offsets), optionally truncates a torn or corrupt
// tail, and computes the offset-index and time-index entries the segment should have — so
// rebuilding indexes never needs one header per batch in JS memory (a 1 GiB segment of
// single-record batches holds ~15M batches).
//
// Index entries follow Kafka's LogSegment.recover: after more than `index_interval_bytes`
// of batches since the last entry, the next batch gets an offset-index entry
// (its last offset → its position) and a time-index entry (max timestamp so far → offset of
// that max timestamp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "batch_format.h"
#include "napi_util.h"

namespace sluice {
namespace {

constexpr size_t kChunkBytes = 8 << 20;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

struct RecoveryResult {
  uint64_t file_bytes = 0;
  uint64_t valid_bytes = 0;
  uint64_t truncated_bytes = 0;
  ScanError error = ScanError::kNone;
  uint64_t error_position = 0;
  uint64_t batch_count = 0;
  int64_t last_offset = -1;
  int64_t max_timestamp = -1;
  int64_t offset_of_max_timestamp = -1;
  int64_t first_batch_max_timestamp = -1;
  std::vector<double> offset_entries;  // pairs: last offset, position
  std::vector<double> time_entries;    // pairs: max timestamp so far, its offset
};

Status PreadFully(int fd, uint8_t* buf, size_t len, uint64_t position, const std::string& path, size_t* got) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, buf + done, len - done, static_cast<off_t>(position + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "pread", path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  *got = done;
  return Status::Ok();
}

Status Recover(const std::string& path, bool truncate, uint32_t index_interval_bytes,
               uint32_t max_batch_bytes, RecoveryResult* r) {
  int raw = ::open(path.c_str(), (truncate ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (raw < 0) return Status::FromErrno(errno, "open", path);
  Fd fd(raw);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Status::FromErrno(errno, "fstat", path);
  r->file_bytes = static_cast<uint64_t>(st.st_size);

  ScanOptions options;
  options.verify_crc = true;
  options.max_batch_bytes = max_batch_bytes;
  options.require_increasing_offsets = true;

  std::vector<uint8_t> buf(std::min<uint64_t>(kChunkBytes, std::max<uint64_t>(r->file_bytes, 1)));
  std::vector<BatchHeader> headers;
  uint64_t position = 0;
  uint64_t bytes_since_entry = 0;
  while (position < r->file_bytes) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), r->file_bytes - position));
    size_t got = 0;
    Status s = PreadFully(fd.get(), buf.data(), want, position, path, &got);
    if (!s.ok()) return s;
    headers.clear();
    ScanResult scan = ScanBatches(buf.data(), got, options, &headers, position);
    for (const BatchHeader& h : headers) {
      if (r->last_offset >= 0 && h.base_offset <= r->last_offset) {
        scan.error = ScanError::kBadOffsets;
        scan.error_position = h.position - position;
        scan.valid_bytes = h.position - position;
        break;
      }
      if (r->batch_count == 0) r->first_batch_max_timestamp = h.max_timestamp;
      if (h.max_timestamp > r->max_timestamp) {
        r->max_timestamp = h.max_timestamp;
        r->offset_of_max_timestamp = h.last_offset();
      }
      if (bytes_since_entry > index_interval_bytes) {
        r->offset_entries.push_back(static_cast<double>(h.last_offset()));
        r->offset_entries.push_back(static_cast<double>(h.position));
        r->time_entries.push_back(static_cast<double>(r->max_timestamp));
        r->time_entries.push_back(static_cast<double>(r->offset_of_max_timestamp));
        bytes_since_entry = 0;
      }
      bytes_since_entry += h.size;
      r->last_offset = h.last_offset();
      r->batch_count++;
    }
    position += scan.valid_bytes;
    if (scan.error == ScanError::kNone) continue;
    bool at_chunk_end = (scan.error == ScanError::kTruncatedHeader || scan.error == ScanError::kTruncatedBody) &&
                        position + (got - scan.valid_bytes) < r->file_bytes;
    if (at_chunk_end) {
      // A batch straddles the chunk boundary: re-read from it, growing the buffer if one
      // batch is larger than a chunk (bounded by max_batch_bytes through the scan).
      if (scan.valid_bytes == 0) {
        if (got < kBatchHeaderBytes) return Status::Error("EIO", "short read during recovery", path);
        uint32_t whole = LoadBe32(buf.data() + kLengthOffset) + static_cast<uint32_t>(kLogOverhead);
        if (whole <= buf.size()) return Status::Error("EIO", "recovery made no progress", path);
        buf.resize(whole);
      }
      continue;
    }
    r->error = scan.error;
    r->error_position = position;
    break;
  }
  r->valid_bytes = position;
  if (truncate && r->valid_bytes < r->file_bytes) {
    if (::ftruncate(fd.get(), static_cast<off_t>(r->valid_bytes)) != 0) return Status::FromErrno(errno, "ftruncate", path);
    if (::fdatasync(fd.get()) != 0) return Status::FromErrno(errno, "fdatasync", path);
    r->truncated_bytes = r->file_bytes - r->valid_bytes;
  }
  return Status::Ok();
}

Napi::Float64Array ToArray(Napi::Env env, const std::vector<double>& v) {
  Napi::Float64Array a = Napi::Float64Array::New(env, v.size());
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}

class RecoverWorker : public Napi::AsyncWorker {
 public:
  RecoverWorker(Napi::Env env, std::string path, bool truncate, uint32_t interval, uint32_t max_batch)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), path_(std::move(path)),
        truncate_(truncate), interval_(interval), max_batch_(max_batch) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override { status_ = Recover(path_, truncate_, interval_, max_batch_, &result_); }

  void OnOK() override {
    Napi::Env env = Env();
    if (!status_.ok()) {
      deferred_.Reject(MakeError(env, status_));
      return;
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("fileBytes", Napi::Number::New(env, static_cast<double>(result_.file_bytes)));
    o.Set("validBytes", Napi::Number::New(env, static_cast<double>(result_.valid_bytes)));
    o.Set("truncatedBytes", Napi::Number::New(env, static_cast<double>(result_.truncated_bytes)));
    const char* err = ScanErrorName(result_.error);
    o.Set("error", err == nullptr ? env.Null() : Napi::String::New(env, err));
    o.Set("errorPosition", Napi::Number::New(env, static_cast<double>(result_.error_position)));
    o.Set("batchCount", Napi::Number::New(env, static_cast<double>(result_.batch_count)));
    o.Set("lastOffset", Napi::Number::New(env, static_cast<double>(result_.last_offset)));
    o.Set("maxTimestamp", Napi::Number::New(env, static_cast<double>(result_.max_timestamp)));
    o.Set("offsetOfMaxTimestamp", Napi::Number::New(env, static_cast<double>(result_.offset_of_max_timestamp)));
    o.Set("firstBatchMaxTimestamp", Napi::Number::New(env, static_cast<double>(result_.first_batch_max_timestamp)));
    o.Set("offsetIndexEntries", ToArray(env, result_.offset_entries));
    o.Set("timeIndexEntries", ToArray(env, result_.time_entries));
    deferred_.Resolve(o);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string path_;
  bool truncate_;
  uint32_t interval_;
  uint32_t max_batch_;
  Status status_;
  RecoveryResult result_;
};

// recoverSegment(path, truncate, indexIntervalBytes, maxBatchBytes) → Promise<SegmentRecovery>
Napi::Value JS_RecoverSegment(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  bool truncate = false;
  double interval = 0;
  double max_batch = 0;
  if (!ArgString(info, 0, &path) || !ArgBool(info, 1, &truncate) || !ArgNumber(info, 2, &interval) ||
      !ArgNumber(info, 3, &max_batch)) {
    return env.Undefined();
  }
  if (interval < 0 || max_batch < kBatchHeaderBytes || max_batch > 0x7fffffff) {
    ThrowTypeError(env, "recoverSegment: bad indexIntervalBytes or maxBatchBytes");
    return env.Undefined();
  }
  auto* worker = new RecoverWorker(env, path, truncate, static_cast<uint32_t>(std::min(interval, 4294967295.0)),
                                   static_cast<uint32_t>(max_batch));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void InitSegmentRecovery(Napi::Env env, Napi::Object exports) {
  exports.Set("recoverSegment", Napi::Function::New(env, JS_RecoverSegment, "recoverSegment"));
}

}  // namespace sluice
