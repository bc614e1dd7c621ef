// Segment recovery: scans a `.log` file from a batch boundary (the start, or where the recovery
// point lies: everything before it was fsync'd) off the event loop, validates every
// batch (length, magic, CRC-32C, increasing offsets, its records), optionally truncates a torn or corrupt
// tail, and computes the offset-index and time-index entries the segment should have — so
// rebuilding indexes never needs one header per batch in JS memory (a 1 GiB segment of
// single-record batches holds ~15M batches).
//
// Index entries follow Kafka's LogSegment.recover: after more than `index_interval_bytes`
// of batches since the last entry, the next batch gets an offset-index entry
// (its last offset → its position) and a time-index entry (max timestamp so far → offset of
// that max timestamp). A scan that starts past the start continues from the caller's state at
// that position: the offset-index entry there exists already (so the batch there starts a new
// interval), and the largest timestamp so far comes from the time index.
#include <fcntl.h>

#include <algorithm>
#include <string>
#include <vector>

#include "batch_format.h"
#include "codecs.h"
#include "fs_ops.h"
#include "napi_util.h"
#include "promise_worker.h"
#include "scan_args.h"
#include "segment_file.h"

namespace sluice {
namespace {

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

// Where a scan starts and what the caller knows of the batches before that position.
struct RecoveryStart {
  uint64_t position = 0;
  int64_t max_timestamp = -1;
  int64_t offset_of_max_timestamp = -1;
};

Status Recover(const std::string& path, bool truncate, uint32_t index_interval_bytes,
               uint32_t max_batch_bytes, const RecoveryStart& start, RecoveryResult* r) {
  UniqueFd fd;
  Status s = OpenFile(path, (truncate ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0, &fd);
  if (!s.ok()) return s;
  s = FileSize(fd.get(), path, &r->file_bytes);
  if (!s.ok()) return s;
  // The scan reads the file once, front to back, in large chunks: let the kernel read ahead.
  (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  r->max_timestamp = start.max_timestamp;
  r->offset_of_max_timestamp = start.offset_of_max_timestamp;

  ScanOptions options;
  options.verify_crc = true;
  options.max_batch_bytes = max_batch_bytes;
  // A batch whose records fail validation is corruption like a bad CRC: the tail from it is cut.
  ValidateOptions validate;
  validate.from_client = false;  // stored batches may have been compacted
  validate.max_uncompressed_bytes = kDefaultMaxOutputBytes;
  options.validate = &validate;
  uint64_t bytes_since_entry = 0;
  // The kept time index (before start.position) ends at or below start.max_timestamp; entries
  // continue above it (NO_TIMESTAMP, -1, when the scan starts at the beginning).
  int64_t last_indexed_timestamp = start.max_timestamp;
  FileScan scan;
  s = ScanFile(fd.get(), path, std::min(start.position, r->file_bytes), r->file_bytes, options, &scan,
               [&](const BatchHeader& h) {
                 if (r->batch_count == 0) r->first_batch_max_timestamp = h.max_timestamp;
                 if (h.max_timestamp > r->max_timestamp) {
                   r->max_timestamp = h.max_timestamp;
                   r->offset_of_max_timestamp = h.last_offset();
                 }
                 if (bytes_since_entry > index_interval_bytes) {
                   r->offset_entries.push_back(static_cast<double>(h.last_offset()));
                   r->offset_entries.push_back(static_cast<double>(h.position));
                   // Kafka's TimeIndex.maybeAppend: an entry only for a larger timestamp, so none while
                   // batches carry no timestamp (-1, magic-0 data converted at produce).
                   if (r->max_timestamp > last_indexed_timestamp) {
                     r->time_entries.push_back(static_cast<double>(r->max_timestamp));
                     r->time_entries.push_back(static_cast<double>(r->offset_of_max_timestamp));
                     last_indexed_timestamp = r->max_timestamp;
                   }
                   bytes_since_entry = 0;
                 }
                 bytes_since_entry += h.size;
                 r->last_offset = h.last_offset();
                 r->batch_count++;
               });
  if (!s.ok()) return s;
  r->valid_bytes = scan.valid_end;
  r->error = scan.error;
  r->error_position = scan.error_position;
  if (truncate && r->valid_bytes < r->file_bytes) {
    s = Ftruncate(fd.get(), r->valid_bytes, path);
    if (!s.ok()) return s;
    s = Fdatasync(fd.get(), path);
    if (!s.ok()) return s;
    r->truncated_bytes = r->file_bytes - r->valid_bytes;
  }
  return fd.Close(path);
}

Napi::Float64Array ToArray(Napi::Env env, const std::vector<double>& v) {
  Napi::Float64Array a = Napi::Float64Array::New(env, v.size());
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}

class RecoverWorker : public PromiseWorker {
 public:
  RecoverWorker(Napi::Env env, std::string path, bool truncate, uint32_t interval, uint32_t max_batch,
                RecoveryStart start)
      : PromiseWorker(env, "sluice.recoverSegment"),
        path_(std::move(path)),
        truncate_(truncate),
        interval_(interval),
        max_batch_(max_batch),
        start_(start) {}

 protected:
  Status Run() override { return Recover(path_, truncate_, interval_, max_batch_, start_, &result_); }

  Napi::Value Result(Napi::Env env) override {
    auto num = [&](double v) { return Napi::Number::New(env, v); };
    Napi::Object o = Napi::Object::New(env);
    o.Set("fileBytes", num(static_cast<double>(result_.file_bytes)));
    o.Set("validBytes", num(static_cast<double>(result_.valid_bytes)));
    o.Set("truncatedBytes", num(static_cast<double>(result_.truncated_bytes)));
    const char* err = ScanErrorName(result_.error);
    o.Set("error", err == nullptr ? env.Null() : Napi::String::New(env, err));
    o.Set("errorPosition", num(static_cast<double>(result_.error_position)));
    o.Set("startPosition", num(static_cast<double>(std::min(start_.position, result_.file_bytes))));
    o.Set("batchCount", num(static_cast<double>(result_.batch_count)));
    o.Set("lastOffset", num(static_cast<double>(result_.last_offset)));
    o.Set("maxTimestamp", num(static_cast<double>(result_.max_timestamp)));
    o.Set("offsetOfMaxTimestamp", num(static_cast<double>(result_.offset_of_max_timestamp)));
    o.Set("firstBatchMaxTimestamp", num(static_cast<double>(result_.first_batch_max_timestamp)));
    o.Set("offsetIndexEntries", ToArray(env, result_.offset_entries));
    o.Set("timeIndexEntries", ToArray(env, result_.time_entries));
    return o;
  }

 private:
  std::string path_;
  bool truncate_;
  uint32_t interval_;
  uint32_t max_batch_;
  RecoveryStart start_;
  RecoveryResult result_;
};

// recoverSegment(path, truncate, indexIntervalBytes, maxBatchBytes[, startPosition, maxTimestamp,
//                offsetOfMaxTimestamp]) → Promise<SegmentRecovery>
Napi::Value JS_RecoverSegment(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  bool truncate = false;
  double interval = 0;
  uint32_t max_batch = 0;
  if (!ArgString(info, 0, &path) || !ArgBool(info, 1, &truncate) || !ArgNumber(info, 2, &interval) ||
      !ArgMaxBatchBytes(info, 3, &max_batch)) {
    return env.Undefined();
  }
  if (!(interval >= 0)) {
    ThrowTypeError(env, "recoverSegment: indexIntervalBytes must be a non-negative number");
    return env.Undefined();
  }
  RecoveryStart start;
  if (info.Length() > 4 && !info[4].IsUndefined()) {
    double position = 0;
    double max_ts = 0;
    double offset_of_max = 0;
    if (!ArgNumber(info, 4, &position) || !ArgNumber(info, 5, &max_ts) ||
        !ArgNumber(info, 6, &offset_of_max)) {
      return env.Undefined();
    }
    if (!(position >= 0) || position > 9007199254740991.0 || !(max_ts >= -1) || !(offset_of_max >= -1)) {
      ThrowTypeError(env, "recoverSegment: bad start position or timestamps");
      return env.Undefined();
    }
    start.position = static_cast<uint64_t>(position);
    start.max_timestamp = static_cast<int64_t>(max_ts);
    start.offset_of_max_timestamp = static_cast<int64_t>(offset_of_max);
  }
  auto* worker = new RecoverWorker(env, path, truncate,
                                   static_cast<uint32_t>(std::min(interval, 4294967295.0)), max_batch, start);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void InitSegmentRecovery(Napi::Env env, Napi::Object exports) {
  exports.Set("recoverSegment", Napi::Function::New(env, JS_RecoverSegment, "recoverSegment"));
}

}  // namespace sluice
