// Segment `.log` file: layout in segment_file.h. The fd lives in a shared_ptr<UniqueFd> so
// flush work on the thread pool keeps it open across close(); the append position
// (size_) is tracked here rather than asked of the kernel, so appends are one pwrite each.
#include "segment_file.h"

#include <fcntl.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "fs_ops.h"
#include "napi_util.h"
#include "promise_worker.h"
#include "scan_args.h"

namespace sluice {

namespace {

// Scans read this much per pread: large enough that syscalls don't dominate, small enough
// that recovering many partitions at once on the pool stays within a few MiB each.
constexpr size_t kScanChunkBytes = 4 << 20;
// A header walk after an index lookup spans about one index interval (4 KiB) of batches plus
// the header of the batch it looks for; one read of this size usually covers it. (Every read
// locates its first batch this way, so a larger window costs every read.)
constexpr size_t kWalkWindowBytes = 8 << 10;
// readBatches with minOneBatch reads at least this much so a small maxBytes still gets the
// first batch in one pread.
constexpr size_t kReadAheadBytes = 16 << 10;
// readBatches returns a view of its read buffer unless more than 1/8 of it would be hidden
// behind the view (then an exact copy is cheaper in memory than the copy is in time).
constexpr size_t kMaxHiddenFraction = 8;
constexpr uint32_t kMaxBatchLength = 0x7fffffff - kLogOverhead;

bool AllZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] != 0) return false;
  }
  return true;
}

// Classifies a batch length that cannot be right: a zeroed region is what a preallocated or
// torn tail leaves, which recovery reports apart from random garbage.
ScanError BadLengthKind(const uint8_t* batch) {
  return AllZero(batch, kLogOverhead) ? ScanError::kZeroFilled : ScanError::kBadLength;
}

}  // namespace

Status ScanFile(int fd, const std::string& path, uint64_t position, uint64_t end, const ScanOptions& options,
                FileScan* out, const std::function<void(const BatchHeader&)>& visit) {
  out->headers.clear();
  out->error = ScanError::kNone;
  out->error_position = 0;
  uint64_t pos = position;
  if (pos >= end) {
    out->valid_end = pos;
    return Status::Ok();
  }
  std::vector<uint8_t> buf(static_cast<size_t>(std::min<uint64_t>(kScanChunkBytes, end - pos)));
  std::vector<BatchHeader> chunk_headers;
  std::vector<BatchHeader>* headers = visit ? &chunk_headers : &out->headers;
  ScanOptions chunk_options = options;
  // Offsets are checked here across chunk boundaries, against the previous batch's last offset.
  chunk_options.require_increasing_offsets = false;
  int64_t prev_last_offset = -1;
  bool have_prev = false;
  while (pos < end) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), end - pos));
    size_t got = 0;
    Status s = PreadFully(fd, buf.data(), want, pos, path, &got);
    if (!s.ok()) return s;
    // The file can only be shorter than `end` if something truncated it under us: scan what is there.
    if (got < want) end = pos + got;
    if (got == 0) break;
    size_t before = headers->size();
    ScanResult r = ScanBatches(buf.data(), got, chunk_options, headers, pos);
    size_t valid = r.valid_bytes;
    ScanError error = r.error;
    for (size_t i = before; i < headers->size(); i++) {
      const BatchHeader& h = (*headers)[i];
      if (have_prev && h.base_offset <= prev_last_offset) {
        valid = static_cast<size_t>(h.position - pos);
        error = ScanError::kBadOffsets;
        headers->resize(i);
        break;
      }
      prev_last_offset = h.last_offset();
      have_prev = true;
    }
    if (visit) {
      for (const BatchHeader& h : chunk_headers) visit(h);
      chunk_headers.clear();
    }
    pos += valid;
    if (error == ScanError::kNone) continue;
    bool cut_by_chunk = (error == ScanError::kTruncatedHeader || error == ScanError::kTruncatedBody) &&
                        pos + (got - valid) < end;
    if (cut_by_chunk) {
      if (valid == 0) {
        // One batch larger than the buffer: grow to it (bounded by max_batch_bytes, which the
        // scan enforced before reporting a truncated body) unless it runs past the end.
        uint64_t whole = uint64_t{LoadBe32(buf.data() + kLengthOffset)} + kLogOverhead;
        if (pos + whole > end || whole <= buf.size()) {
          out->error = error;
          out->error_position = pos;
          break;
        }
        buf.resize(static_cast<size_t>(whole));
      }
      continue;
    }
    out->error = error;
    out->error_position = pos;
    break;
  }
  out->valid_end = pos;
  return Status::Ok();
}

Status WalkBatchHeaders(int fd, const std::string& path, uint64_t position, uint64_t end, uint64_t file_size,
                        const std::function<bool(const BatchHeader&)>& stop, HeaderWalk* out) {
  *out = HeaderWalk();
  // Not zero-filled: only bytes a pread returned are looked at.
  std::unique_ptr<uint8_t[]> window(new uint8_t[kWalkWindowBytes]);
  uint64_t window_start = 0;
  size_t window_len = 0;
  uint64_t pos = position;
  // Size of the batch the walk last stepped over: after one larger than the window, the next
  // header is read alone (large batches would otherwise cost a whole window per header).
  uint64_t last_step = 0;
  while (pos < end) {
    if (pos + kBatchHeaderBytes > file_size) {
      out->error = ScanError::kTruncatedHeader;
      out->error_position = pos;
      return Status::Ok();
    }
    if (pos < window_start || pos + kBatchHeaderBytes > window_start + window_len) {
      size_t room = last_step >= kWalkWindowBytes ? kBatchHeaderBytes : kWalkWindowBytes;
      size_t want = static_cast<size_t>(std::min<uint64_t>(room, file_size - pos));
      size_t got = 0;
      Status s = PreadFully(fd, window.get(), want, pos, path, &got);
      if (!s.ok()) return s;
      window_start = pos;
      window_len = got;
      if (got < kBatchHeaderBytes) {
        out->error = ScanError::kTruncatedHeader;
        out->error_position = pos;
        return Status::Ok();
      }
    }
    const uint8_t* p = window.get() + (pos - window_start);
    uint32_t length = LoadBe32(p + kLengthOffset);
    if (length < static_cast<uint32_t>(kMinBatchLength) || length > kMaxBatchLength) {
      out->error = BadLengthKind(p);
      out->error_position = pos;
      return Status::Ok();
    }
    if (p[kMagicOffset] != kMagicV2) {
      out->error = ScanError::kBadMagic;
      out->error_position = pos;
      return Status::Ok();
    }
    uint64_t size = uint64_t{length} + kLogOverhead;
    if (pos + size > file_size) {
      out->error = ScanError::kTruncatedBody;
      out->error_position = pos;
      return Status::Ok();
    }
    BatchHeader h = ParseBatchHeader(p, pos);
    h.size = static_cast<uint32_t>(size);
    if (stop(h)) {
      out->found = true;
      out->header = h;
      return Status::Ok();
    }
    pos += size;
    last_step = size;
  }
  return Status::Ok();
}

Status ReadWholeBatches(int fd, const std::string& path, uint64_t position, uint64_t end, size_t max_bytes,
                        bool min_one_batch, bool verify_crc, uint8_t* dst, size_t capacity, BatchRead* out) {
  *out = BatchRead();
  if (position >= end) return Status::Ok();
  if (!min_one_batch && max_bytes < kBatchHeaderBytes) return Status::Ok();
  if (capacity < kBatchHeaderBytes) {
    // No batch fits (every batch is at least a header). Reading into a header-sized buffer
    // tells whether the first batch would be returned, and how large it is.
    uint8_t header[kBatchHeaderBytes];
    Status s = ReadWholeBatches(fd, path, position, end, max_bytes, min_one_batch, verify_crc, header,
                                sizeof header, out);
    if (s.ok() && out->bytes > 0) {
      out->needed = out->bytes;
      out->bytes = 0;
    }
    return s;
  }
  uint64_t range = end - position;
  size_t want = static_cast<size_t>(std::min<uint64_t>(
      std::min<uint64_t>(range, capacity), min_one_batch ? std::max(max_bytes, kReadAheadBytes) : max_bytes));
  size_t got = 0;
  Status s = PreadFully(fd, dst, want, position, path, &got);
  if (!s.ok()) return s;
  if (got < want) range = got;  // truncated under us: only what exists can be returned

  // Makes dst hold [0, n) of the range (n <= range, n <= capacity), reading what is missing.
  auto ensure = [&](size_t n) -> Status {
    if (n <= got) return Status::Ok();
    size_t more = 0;
    Status st = PreadFully(fd, dst + got, n - got, position + got, path, &more);
    if (!st.ok()) return st;
    got += more;
    if (got < n) range = got;
    return Status::Ok();
  };
  auto corrupt = [&](ScanError e, size_t off) {
    out->bytes = 0;
    out->error = e;
    out->error_position = position + off;
    return Status::Ok();
  };

  size_t off = 0;
  size_t last = 0;  // start of the last whole batch taken
  while (off < range) {
    bool first = off == 0;
    if (!first && off >= max_bytes) break;
    if (first) {
      s = ensure(static_cast<size_t>(std::min<uint64_t>(range, kBatchHeaderBytes)));
      if (!s.ok()) return s;
    }
    if (off + kLogOverhead > range) return corrupt(ScanError::kTruncatedHeader, off);
    if (off + kLogOverhead > got) break;
    const uint8_t* p = dst + off;
    uint32_t length = LoadBe32(p + kLengthOffset);
    if (length < static_cast<uint32_t>(kMinBatchLength) || length > kMaxBatchLength) {
      return corrupt(BadLengthKind(p), off);
    }
    uint64_t size = uint64_t{length} + kLogOverhead;
    if (off + size > max_bytes && !(first && min_one_batch)) break;
    if (off + size > range) {
      return corrupt(
          off + kBatchHeaderBytes > range ? ScanError::kTruncatedHeader : ScanError::kTruncatedBody, off);
    }
    // Reject a garbage first header before reading up to its claimed length.
    if (first && dst[kMagicOffset] != kMagicV2) return corrupt(ScanError::kBadMagic, off);
    if (off + size > capacity) {
      if (first) out->needed = size;
      break;
    }
    s = ensure(static_cast<size_t>(off + size));
    if (!s.ok()) return s;
    if (off + size > got) return corrupt(ScanError::kTruncatedBody, off);
    last = off;
    off += static_cast<size_t>(size);
  }
  if (off == 0) return Status::Ok();
  // Framing (length, magic, offsets) is checked on every read: it is cheap and keeps a
  // truncated or overwritten file from yielding garbage. The CRC covers the whole batch and
  // costs about as much as the read itself, so the caller says when it is needed.
  ScanOptions options;
  options.verify_crc = verify_crc;
  options.require_increasing_offsets = true;
  ScanResult r = ScanBatches(dst, off, options, nullptr, 0);
  if (r.error != ScanError::kNone) return corrupt(r.error, r.error_position);
  out->bytes = off;
  out->next_offset = static_cast<int64_t>(LoadBe64(dst + last + kBaseOffsetOffset)) +
                     static_cast<int32_t>(LoadBe32(dst + last + kLastOffsetDeltaOffset)) + 1;
  return Status::Ok();
}

namespace {

bool ArgPosition(const Napi::CallbackInfo& info, size_t i, uint64_t* out) {
  double v = 0;
  if (!ArgNumber(info, i, &v)) return false;
  if (!(v >= 0) || v > static_cast<double>(kMaxSafeInteger) ||
      v != static_cast<double>(static_cast<int64_t>(v))) {
    ThrowTypeError(info.Env(), "expected a non-negative integer");
    return false;
  }
  *out = static_cast<uint64_t>(v);
  return true;
}

// Optional end position: undefined, null or a negative number mean "to the end of the file".
bool ArgMaxPosition(const Napi::CallbackInfo& info, size_t i, uint64_t file_size, uint64_t* out) {
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) {
    *out = file_size;
    return true;
  }
  if (info[i].IsNumber() && info[i].As<Napi::Number>().DoubleValue() < 0) {
    *out = file_size;
    return true;
  }
  uint64_t v = 0;
  if (!ArgPosition(info, i, &v)) return false;
  *out = std::min(v, file_size);
  return true;
}

// Optional boolean: undefined (or absent) gives `fallback`.
bool ArgOptionalBool(const Napi::CallbackInfo& info, size_t i, bool fallback, bool* out) {
  if (info.Length() <= i || info[i].IsUndefined()) {
    *out = fallback;
    return true;
  }
  return ArgBool(info, i, out);
}

// The first `n` bytes of `buf`: `buf` itself when it is all of it, else a subarray view of it
// (no copy) when little memory would be kept alive behind the view, else an exact copy.
Napi::Value FrontOf(Napi::Env env, Napi::Buffer<uint8_t> buf, size_t n) {
  size_t length = buf.Length();
  if (n == length) return buf;
  if (n == 0) return Napi::Buffer<uint8_t>::New(env, 0);
  if (length - n > length / kMaxHiddenFraction) return Napi::Buffer<uint8_t>::Copy(env, buf.Data(), n);
  Napi::Value subarray = buf.Get("subarray");
  if (env.IsExceptionPending()) return env.Undefined();
  if (!subarray.IsFunction()) return Napi::Buffer<uint8_t>::Copy(env, buf.Data(), n);
  return subarray.As<Napi::Function>().Call(
      buf, {Napi::Number::New(env, 0), Napi::Number::New(env, static_cast<double>(n))});
}

// The BatchScan object of src/native.ts for a file scan.
Napi::Object MakeScanObject(Napi::Env env, const FileScan& scan) {
  return MakeBatchScan(env, scan.headers, scan.valid_end, scan.error, scan.error_position);
}

Napi::Value MakeFoundBatch(Napi::Env env, const HeaderWalk& walk) {
  if (!walk.found) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("position", Napi::Number::New(env, static_cast<double>(walk.header.position)));
  o.Set("baseOffset", Napi::Number::New(env, static_cast<double>(walk.header.base_offset)));
  o.Set("lastOffset", Napi::Number::New(env, static_cast<double>(walk.header.last_offset())));
  o.Set("size", Napi::Number::New(env, static_cast<double>(walk.header.size)));
  return o;
}

// Throws NativeError('CORRUPT_BATCH') with `position` (file position of the bad batch) and
// `reason` (the ScanError name) so the storage layer can say where the log is damaged.
void ThrowCorruptBatch(Napi::Env env, const std::string& path, ScanError error, uint64_t position) {
  const char* reason = ScanErrorName(error);
  if (reason == nullptr) reason = "UNKNOWN";
  Status s = Status::Error("CORRUPT_BATCH",
                           std::string("corrupt record batch (") + reason + ") at position " +
                               std::to_string(position) + " of " + path,
                           path);
  Napi::Value err = MakeError(env, s);
  if (env.IsExceptionPending()) return;
  if (err.IsObject()) {
    Napi::Object o = err.As<Napi::Object>();
    o.Set("position", Napi::Number::New(env, static_cast<double>(position)));
    o.Set("reason", Napi::String::New(env, reason));
  }
  napi_throw(env, err);
}

}  // namespace

class SegmentFile : public Napi::ObjectWrap<SegmentFile> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  // new SegmentFile(path, create): only through openSegmentFile().
  explicit SegmentFile(const Napi::CallbackInfo& info);

 private:
  Napi::Value JS_Path(const Napi::CallbackInfo& info);
  Napi::Value JS_Size(const Napi::CallbackInfo& info);
  Napi::Value JS_Append(const Napi::CallbackInfo& info);
  Napi::Value JS_Read(const Napi::CallbackInfo& info);
  Napi::Value JS_ReadBatches(const Napi::CallbackInfo& info);
  Napi::Value JS_ReadBatchesInto(const Napi::CallbackInfo& info);
  Napi::Value JS_FindBatch(const Napi::CallbackInfo& info);
  Napi::Value JS_FindBatchByTimestamp(const Napi::CallbackInfo& info);
  Napi::Value JS_Scan(const Napi::CallbackInfo& info);
  Napi::Value JS_Headers(const Napi::CallbackInfo& info);
  Napi::Value JS_Truncate(const Napi::CallbackInfo& info);
  Napi::Value JS_Flush(const Napi::CallbackInfo& info);
  Napi::Value JS_FlushSync(const Napi::CallbackInfo& info);
  Napi::Value JS_Close(const Napi::CallbackInfo& info);

  // Throws CLOSED and returns false when the file was closed.
  bool CheckOpen(Napi::Env env);
  Status ClosedStatus() const { return Status::Error("CLOSED", "segment file is closed: " + path_, path_); }
  // Writes `iov` at the end; on failure cuts off any partial write so size_ stays the truth.
  Status AppendIov(std::vector<iovec>* iov, size_t total);
  Napi::Value WalkTo(const Napi::CallbackInfo& info, bool by_timestamp);

  std::string path_;
  std::shared_ptr<UniqueFd> fd_;
  uint64_t size_ = 0;
  // The file may hold bytes past size_: a failed append whose partial write could not be cut off.
  bool tail_past_size_ = false;
};

namespace {

class FlushWorker : public PromiseWorker {
 public:
  FlushWorker(Napi::Env env, std::shared_ptr<UniqueFd> fd, std::string path)
      : PromiseWorker(env, "sluice.SegmentFile.flush"), fd_(std::move(fd)), path_(std::move(path)) {}

 protected:
  Status Run() override { return Fdatasync(fd_->get(), path_); }

 private:
  std::shared_ptr<UniqueFd> fd_;
  std::string path_;
};

}  // namespace

Napi::Function SegmentFile::DefineClass(Napi::Env env) {
  return ObjectWrap<SegmentFile>::DefineClass(
      env, "SegmentFile",
      {
          InstanceAccessor<&SegmentFile::JS_Path>("path"),
          InstanceAccessor<&SegmentFile::JS_Size>("size"),
          InstanceMethod<&SegmentFile::JS_Append>("append"),
          InstanceMethod<&SegmentFile::JS_Read>("read"),
          InstanceMethod<&SegmentFile::JS_ReadBatches>("readBatches"),
          InstanceMethod<&SegmentFile::JS_ReadBatchesInto>("readBatchesInto"),
          InstanceMethod<&SegmentFile::JS_FindBatch>("findBatch"),
          InstanceMethod<&SegmentFile::JS_FindBatchByTimestamp>("findBatchByTimestamp"),
          InstanceMethod<&SegmentFile::JS_Scan>("scan"),
          InstanceMethod<&SegmentFile::JS_Headers>("headers"),
          InstanceMethod<&SegmentFile::JS_Truncate>("truncate"),
          InstanceMethod<&SegmentFile::JS_Flush>("flush"),
          InstanceMethod<&SegmentFile::JS_FlushSync>("flushSync"),
          InstanceMethod<&SegmentFile::JS_Close>("close"),
      });
}

SegmentFile::SegmentFile(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SegmentFile>(info) {
  Napi::Env env = info.Env();
  bool create = false;
  if (!ArgString(info, 0, &path_) || !ArgBool(info, 1, &create)) return;
  UniqueFd fd;
  Status s = OpenFile(path_, O_RDWR | (create ? O_CREAT : 0), 0644, &fd);
  if (s.ok()) s = FileSize(fd.get(), path_, &size_);
  if (!s.ok()) {
    ThrowStatus(env, s);
    return;
  }
  fd_ = std::make_shared<UniqueFd>(std::move(fd));
}

bool SegmentFile::CheckOpen(Napi::Env env) {
  if (fd_) return true;
  ThrowStatus(env, ClosedStatus());
  return false;
}

Napi::Value SegmentFile::JS_Path(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), path_);
}

Napi::Value SegmentFile::JS_Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(size_));
}

Status SegmentFile::AppendIov(std::vector<iovec>* iov, size_t total) {
  if (total == 0) return Status::Ok();
  Status s = PwritevFully(fd_->get(), iov, size_, path_);
  if (!s.ok()) {
    // A short write followed by ENOSPC leaves a partial batch; cut it off so the file never
    // holds bytes past size_. Should that fail too, the fragment is cut after the next
    // append that succeeds (which overwrites its start), or by recovery at the next start.
    tail_past_size_ = !Ftruncate(fd_->get(), size_, path_).ok();
    return s;
  }
  size_ += total;
  if (tail_past_size_ && Ftruncate(fd_->get(), size_, path_).ok()) tail_past_size_ = false;
  return Status::Ok();
}

Napi::Value SegmentFile::JS_Append(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> data;
  if (!ArgBuffer(info, 0, &data) || !CheckOpen(env)) return env.Undefined();
  uint64_t position = size_;
  std::vector<iovec> iov{{data.Data(), data.Length()}};
  Status s = AppendIov(&iov, data.Length());
  if (!s.ok()) {
    ThrowStatus(env, s);
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(position));
}

Napi::Value SegmentFile::JS_Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t position = 0;
  uint64_t length = 0;
  if (!ArgPosition(info, 0, &position) || !ArgPosition(info, 1, &length) || !CheckOpen(env))
    return env.Undefined();
  size_t want = position >= size_ ? 0 : static_cast<size_t>(std::min<uint64_t>(length, size_ - position));
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, want);
  size_t got = 0;
  Status s = PreadFully(fd_->get(), out.Data(), want, position, path_, &got);
  if (!s.ok()) {
    ThrowStatus(env, s);
    return env.Undefined();
  }
  if (got < want) return Napi::Buffer<uint8_t>::Copy(env, out.Data(), got);
  return out;
}

Napi::Value SegmentFile::JS_ReadBatches(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t position = 0;
  uint64_t max_bytes = 0;
  uint64_t end = 0;
  bool min_one_batch = false;
  bool verify_crc = true;
  if (!ArgPosition(info, 0, &position) || !ArgPosition(info, 1, &max_bytes) ||
      !ArgMaxPosition(info, 2, size_, &end) || !ArgBool(info, 3, &min_one_batch) ||
      !ArgOptionalBool(info, 4, true, &verify_crc) || !CheckOpen(env)) {
    return env.Undefined();
  }
  if (position >= end) return Napi::Buffer<uint8_t>::New(env, 0);
  size_t max = static_cast<size_t>(std::min<uint64_t>(max_bytes, 0x7fffffff));
  // One uninitialised Buffer bounded by maxBytes (or the read-ahead) and the range, filled by
  // pread directly: no scratch copy. Only a first batch larger than that is read a second time.
  size_t capacity = static_cast<size_t>(
      std::min<uint64_t>(end - position, min_one_batch ? std::max(max, kReadAheadBytes) : max));
  Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(env, capacity);
  if (env.IsExceptionPending()) return env.Undefined();  // allocation failed (RangeError pending)
  BatchRead read;
  Status s = ReadWholeBatches(fd_->get(), path_, position, end, max, min_one_batch, verify_crc, buf.Data(),
                              capacity, &read);
  if (s.ok() && read.needed > 0) {
    capacity = static_cast<size_t>(read.needed);
    buf = Napi::Buffer<uint8_t>::New(env, capacity);
    if (env.IsExceptionPending()) return env.Undefined();
    s = ReadWholeBatches(fd_->get(), path_, position, end, max, min_one_batch, verify_crc, buf.Data(),
                         capacity, &read);
  }
  if (!s.ok()) {
    ThrowStatus(env, s);
    return env.Undefined();
  }
  if (read.error != ScanError::kNone) {
    ThrowCorruptBatch(env, path_, read.error, read.error_position);
    return env.Undefined();
  }
  // read.needed can only still be set if the file changed between the two reads: return nothing.
  return FrontOf(env, buf, read.bytes);
}

Napi::Value SegmentFile::JS_ReadBatchesInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t position = 0;
  uint64_t max_bytes = 0;
  uint64_t end = 0;
  bool min_one_batch = false;
  Napi::Buffer<uint8_t> target;
  bool verify_crc = true;
  if (!ArgPosition(info, 0, &position) || !ArgPosition(info, 1, &max_bytes) ||
      !ArgMaxPosition(info, 2, size_, &end) || !ArgBool(info, 3, &min_one_batch) ||
      !ArgBuffer(info, 4, &target) || !ArgOptionalBool(info, 5, true, &verify_crc) || !CheckOpen(env)) {
    return env.Undefined();
  }
  size_t max = static_cast<size_t>(std::min<uint64_t>(max_bytes, 0x7fffffff));
  BatchRead read;
  Status s = ReadWholeBatches(fd_->get(), path_, position, end, max, min_one_batch, verify_crc, target.Data(),
                              target.Length(), &read);
  if (!s.ok()) {
    ThrowStatus(env, s);
    return env.Undefined();
  }
  if (read.error != ScanError::kNone) {
    ThrowCorruptBatch(env, path_, read.error, read.error_position);
    return env.Undefined();
  }
  if (read.needed > 0) return Napi::Number::New(env, -static_cast<double>(read.needed));
  // Optional Float64Array: [0] gets the offset after the last batch read, so the caller knows
  // where a reader continuing from here starts without asking the index again.
  if (read.bytes > 0 && info.Length() > 6 && info[6].IsTypedArray()) {
    Napi::TypedArray next = info[6].As<Napi::TypedArray>();
    if (next.TypedArrayType() == napi_float64_array && next.ElementLength() >= 1) {
      next.As<Napi::Float64Array>()[0] = static_cast<double>(read.next_offset);
    }
  }
  return Napi::Number::New(env, static_cast<double>(read.bytes));
}

Napi::Value SegmentFile::WalkTo(const Napi::CallbackInfo& info, bool by_timestamp) {
  Napi::Env env = info.Env();
  uint64_t position = 0;
  double target = 0;
  uint64_t end = 0;
  if (!ArgPosition(info, 0, &position) || !ArgNumber(info, 1, &target) ||
      !ArgMaxPosition(info, 2, size_, &end) || !CheckOpen(env)) {
    return env.Undefined();
  }
  if (target != target) {
    ThrowTypeError(env, "target must not be NaN");
    return env.Undefined();
  }
  // Compare as int64 so offsets and timestamps up to 2^53 compare exactly.
  const int64_t key = target <= -9.2e18  ? INT64_MIN
                      : target >= 9.2e18 ? INT64_MAX
                                         : static_cast<int64_t>(target);
  HeaderWalk walk;
  Status s;
  if (by_timestamp) {
    s = WalkBatchHeaders(
        fd_->get(), path_, position, end, size_,
        [key](const BatchHeader& h) { return h.max_timestamp >= key; }, &walk);
  } else {
    s = WalkBatchHeaders(
        fd_->get(), path_, position, end, size_,
        [key](const BatchHeader& h) { return h.last_offset() >= key; }, &walk);
  }
  if (!s.ok()) {
    ThrowStatus(env, s);
    return env.Undefined();
  }
  if (walk.error != ScanError::kNone) {
    ThrowCorruptBatch(env, path_, walk.error, walk.error_position);
    return env.Undefined();
  }
  return MakeFoundBatch(env, walk);
}

Napi::Value SegmentFile::JS_FindBatch(const Napi::CallbackInfo& info) { return WalkTo(info, false); }

Napi::Value SegmentFile::JS_FindBatchByTimestamp(const Napi::CallbackInfo& info) {
  return WalkTo(info, true);
}

Napi::Value SegmentFile::JS_Scan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t position = 0;
  ScanOptions options;
  ValidateOptions validate;
  uint64_t max_bytes = 0;
  if (!ArgPosition(info, 0, &position) || !ArgScanOptions(info, 1, &options, &max_bytes, &validate) ||
      !CheckOpen(env)) {
    return env.Undefined();
  }
  uint64_t start = std::min(position, size_);
  uint64_t end = max_bytes >= size_ - start ? size_ : start + max_bytes;
  FileScan scan;
  Status s = ScanFile(fd_->get(), path_, start, end, options, &scan);
  if (!s.ok()) {
    ThrowStatus(env, s);
    return env.Undefined();
  }
  return MakeScanObject(env, scan);
}

// headers(position, maxBytes) → BatchScan of the batches starting in [position, position +
// maxBytes): headers only, read a window at a time (a large batch costs one small pread), no
// CRC. For replaying batch metadata (producer state) without reading record bodies.
Napi::Value SegmentFile::JS_Headers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t position = 0;
  uint64_t max_bytes = 0;
  if (!ArgPosition(info, 0, &position) || !ArgPosition(info, 1, &max_bytes) || !CheckOpen(env)) {
    return env.Undefined();
  }
  uint64_t start = std::min(position, size_);
  uint64_t end = max_bytes >= size_ - start ? size_ : start + max_bytes;
  FileScan scan;
  uint64_t valid_end = start;
  HeaderWalk walk;
  Status s = WalkBatchHeaders(
      fd_->get(), path_, start, end, size_,
      [&](const BatchHeader& h) {
        scan.headers.push_back(h);
        valid_end = h.position + h.size;
        return false;
      },
      &walk);
  if (!s.ok()) {
    ThrowStatus(env, s);
    return env.Undefined();
  }
  scan.valid_end = valid_end;
  scan.error = walk.error;
  scan.error_position = walk.error_position;
  return MakeScanObject(env, scan);
}

Napi::Value SegmentFile::JS_Truncate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t size = 0;
  if (!ArgPosition(info, 0, &size) || !CheckOpen(env)) return env.Undefined();
  if (size > size_) {
    ThrowStatus(
        env,
        Status::Error("EINVAL", "truncate(" + std::to_string(size) + ") beyond size " + std::to_string(size_),
                      path_));
    return env.Undefined();
  }
  Status s = Ftruncate(fd_->get(), size, path_);
  if (!s.ok()) {
    ThrowStatus(env, s);
    return env.Undefined();
  }
  size_ = size;
  tail_past_size_ = false;
  return env.Undefined();
}

Napi::Value SegmentFile::JS_Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!fd_) return RejectedPromise(env, ClosedStatus());
  auto* worker = new FlushWorker(env, fd_, path_);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value SegmentFile::JS_FlushSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  Status s = Fdatasync(fd_->get(), path_);
  if (!s.ok()) ThrowStatus(env, s);
  return env.Undefined();
}

Napi::Value SegmentFile::JS_Close(const Napi::CallbackInfo& info) {
  // Workers in flight hold their own reference; the fd closes when the last one finishes.
  fd_.reset();
  return info.Env().Undefined();
}

namespace {

Napi::Value JS_OpenSegmentFile(const Napi::CallbackInfo& info) {
  auto* ctor = static_cast<Napi::FunctionReference*>(info.Data());
  std::vector<napi_value> args;
  for (size_t i = 0; i < info.Length(); i++) args.push_back(info[i]);
  Napi::Object obj = ctor->New(args);
  if (info.Env().IsExceptionPending()) return info.Env().Undefined();
  return obj;
}

}  // namespace

void InitSegmentFile(Napi::Env env, Napi::Object exports) {
  // The constructor reference is per environment (worker threads load the addon again) and
  // freed when the environment shuts down.
  auto* ctor = new Napi::FunctionReference(Napi::Persistent(SegmentFile::DefineClass(env)));
  env.AddCleanupHook([ctor]() { delete ctor; });
  exports.Set("openSegmentFile", Napi::Function::New(env, JS_OpenSegmentFile, "openSegmentFile", ctor));
}

}  // namespace sluice
