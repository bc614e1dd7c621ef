// Offset index (`.index`) and time index (`.timeindex`): byte layout and sizing rules in
// index_file.h. MappedIndex holds the file logic; IndexFile wraps it for N-API. Lookups read
// entries out of the mapping and return numbers, so no JS Buffer ever points into a region
// that trim() or close() unmaps.
#include "index_file.h"

#include <fcntl.h>
#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "batch_format.h"
#include "napi_util.h"
#include "promise_worker.h"

namespace sluice {

namespace {

MappedIndex::Entry DecodeEntry(MappedIndex::Kind kind, const uint8_t* p) {
  if (kind == MappedIndex::Kind::kOffset) {
    return {static_cast<int64_t>(LoadBe32(p)), static_cast<int64_t>(LoadBe32(p + 4))};
  }
  return {static_cast<int64_t>(LoadBe64(p)), static_cast<int64_t>(LoadBe32(p + 8))};
}

uint64_t RoundDown(uint64_t n, uint64_t factor) { return n - n % factor; }

// The longest prefix of `entries` entries that could be a valid index (see MappedIndex::Open),
// read in large sequential chunks.
Status CountValidPrefix(MappedIndex::Kind kind, int fd, const std::string& path, size_t entries,
                        size_t* out) {
  const size_t eb =
      kind == MappedIndex::Kind::kOffset ? MappedIndex::kOffsetEntryBytes : MappedIndex::kTimeEntryBytes;
  const size_t per_chunk = (1 << 20) / eb;
  std::vector<uint8_t> buf(std::min(entries, per_chunk) * eb);
  bool have_prev = false;
  MappedIndex::Entry prev{0, 0};
  size_t n = 0;
  while (n < entries) {
    size_t want = std::min(entries - n, per_chunk);
    size_t got = 0;
    Status s = PreadFully(fd, buf.data(), want * eb, static_cast<uint64_t>(n) * eb, path, &got);
    if (!s.ok()) return s;
    size_t whole = got / eb;
    for (size_t i = 0; i < whole; i++) {
      MappedIndex::Entry e = DecodeEntry(kind, buf.data() + i * eb);
      bool ok;
      if (kind == MappedIndex::Kind::kOffset) {
        ok = e.value > 0 && (!have_prev || (e.key > prev.key && e.value > prev.value));
      } else {
        ok = e.key >= 0 && (!have_prev || (e.key > prev.key && e.value >= prev.value));
      }
      if (!ok) {
        *out = n + i;
        return Status::Ok();
      }
      prev = e;
      have_prev = true;
    }
    n += whole;
    if (whole < want) break;
  }
  *out = n;
  return Status::Ok();
}

}  // namespace

Mapping::~Mapping() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

Status Mapping::Sync(const std::string& path) const {
  if (data_ == nullptr || size_ == 0) return Status::Ok();
  int rc;
  do {
    rc = ::msync(data_, size_, MS_SYNC);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Status::FromErrno(errno, "msync", path);
  return Status::Ok();
}

MappedIndex::MappedIndex(Kind kind, std::string path, int64_t base_offset, uint64_t max_index_bytes,
                         bool writable)
    : kind_(kind),
      path_(std::move(path)),
      base_offset_(base_offset),
      max_index_bytes_(max_index_bytes),
      writable_(writable),
      entry_bytes_(kind == Kind::kOffset ? kOffsetEntryBytes : kTimeEntryBytes) {}

Status MappedIndex::Open(Kind kind, const std::string& path, int64_t base_offset, uint64_t max_index_bytes,
                         bool writable, bool preallocate, std::unique_ptr<MappedIndex>* out,
                         bool valid_prefix) {
  std::unique_ptr<MappedIndex> idx(new MappedIndex(kind, path, base_offset, max_index_bytes, writable));
  const size_t eb = idx->entry_bytes_;
  if (writable && max_index_bytes < eb) {
    return Status::Error("EINVAL", "maxIndexBytes " + std::to_string(max_index_bytes) + " holds no entry",
                         path);
  }
  Status s = OpenFile(path, writable ? O_RDWR | O_CREAT : O_RDONLY, 0644, &idx->fd_);
  if (!s.ok()) return s;
  uint64_t length = 0;
  s = FileSize(idx->fd_.get(), path, &length);
  if (!s.ok()) return s;
  if (length % eb != 0) {
    return Status::Error("CORRUPT_INDEX",
                         "index file " + path + " is corrupt: " + std::to_string(length) +
                             " bytes is not a multiple of the entry size " + std::to_string(eb),
                         path);
  }
  size_t entries = static_cast<size_t>(length / eb);
  if (valid_prefix) {
    s = CountValidPrefix(kind, idx->fd_.get(), path, entries, &entries);
    if (!s.ok()) return s;
  }
  // Kafka's sanityCheck looks only at the ends; so do we, before growing the file, so a
  // corrupt index is reported untouched. Strictly increasing keys make last <= first
  // impossible in a valid index, and it is exactly what a zero-filled preallocated tail shows.
  if (entries > 1 && !valid_prefix) {
    uint8_t first_bytes[kTimeEntryBytes];
    uint8_t last_bytes[kTimeEntryBytes];
    size_t got_first = 0;
    size_t got_last = 0;
    s = PreadFully(idx->fd_.get(), first_bytes, eb, 0, path, &got_first);
    if (s.ok()) s = PreadFully(idx->fd_.get(), last_bytes, eb, (entries - 1) * eb, path, &got_last);
    if (!s.ok()) return s;
    if (got_first != eb || got_last != eb) return Status::FromErrno(EIO, "pread", path);
    Entry first = DecodeEntry(kind, first_bytes);
    Entry last = DecodeEntry(kind, last_bytes);
    if (last.key <= first.key || last.value < first.value) {
      return Status::Error("CORRUPT_INDEX",
                           "index file " + path + " is corrupt: last entry (" + std::to_string(last.key) +
                               ", " + std::to_string(last.value) + ") does not follow the first (" +
                               std::to_string(first.key) + ", " + std::to_string(first.value) + ")",
                           path);
    }
  }
  uint64_t target = length;
  // Without `preallocate` the file keeps its length (a sealed segment's index reopened after
  // its handles were released); reset() and resize() still grow it to max_index_bytes.
  if (writable && preallocate) target = std::max<uint64_t>(RoundDown(max_index_bytes, eb), length);
  if (target != length) {
    s = Ftruncate(idx->fd_.get(), target, path);
    if (!s.ok()) return s;
  }
  s = idx->Map(target);
  if (!s.ok()) return s;
  idx->entries_ = entries;
  idx->backed_bytes_ = entries * eb;
  idx->max_entries_ = static_cast<size_t>(target / eb);
  *out = std::move(idx);
  return Status::Ok();
}

Status MappedIndex::Map(uint64_t length) {
  mapping_.reset();
  length_ = length;
  if (length == 0) return Status::Ok();
  int prot = writable_ ? PROT_READ | PROT_WRITE : PROT_READ;
  void* p = ::mmap(nullptr, static_cast<size_t>(length), prot, MAP_SHARED, fd_.get(), 0);
  if (p == MAP_FAILED) {
    length_ = 0;
    return Status::FromErrno(errno, "mmap", path_);
  }
  mapping_ = std::make_shared<Mapping>(static_cast<uint8_t*>(p), static_cast<size_t>(length));
  return Status::Ok();
}

bool MappedIndex::is_full() const {
  if (kind_ == Kind::kTime && max_entries_ > 0) return entries_ >= max_entries_ - 1;
  return entries_ >= max_entries_;
}

MappedIndex::Entry MappedIndex::EntryAt(size_t n) const {
  return DecodeEntry(kind_, mapping_->data() + n * entry_bytes_);
}

Status MappedIndex::CheckWritable() const {
  if (closed_) return Status::Error("CLOSED", "index is closed: " + path_, path_);
  if (!writable_) return Status::Error("INDEX_READ_ONLY", "index was opened read-only: " + path_, path_);
  return Status::Ok();
}

Status MappedIndex::EnsureBacked(uint64_t end) {
  if (end <= backed_bytes_) return Status::Ok();
  // A few pages at a time: one fallocate per ~8K offset-index entries.
  constexpr uint64_t kBackAheadBytes = 64 * 1024;
  const uint64_t start = backed_bytes_;
  const uint64_t target = std::min<uint64_t>(length_, std::max<uint64_t>(end, start + kBackAheadBytes));
  int rc;
  do {
    rc = ::fallocate(fd_.get(), 0, static_cast<off_t>(start), static_cast<off_t>(target - start));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    // A file system without fallocate: nothing better to do than write through the mapping.
    if (errno == EOPNOTSUPP) {
      backed_bytes_ = length_;
      return Status::Ok();
    }
    return Status::FromErrno(errno, "fallocate", path_);
  }
  backed_bytes_ = target;
  return Status::Ok();
}

Status MappedIndex::Append(int64_t key, int64_t value, bool* appended) {
  *appended = false;
  Status s = CheckWritable();
  if (!s.ok()) return s;
  if (kind_ == Kind::kOffset) {
    if (entries_ >= max_entries_) {
      return Status::Error(
          "INDEX_FULL", "offset index is full (" + std::to_string(entries_) + " entries): " + path_, path_);
    }
    if (entries_ > 0) {
      Entry last = EntryAt(entries_ - 1);
      if (key <= last.key || value < last.value) {
        return Status::Error("INDEX_ORDER",
                             "offset index entry (" + std::to_string(key) + ", " + std::to_string(value) +
                                 ") does not follow (" + std::to_string(last.key) + ", " +
                                 std::to_string(last.value) + "): " + path_,
                             path_);
      }
    }
    s = EnsureBacked((entries_ + 1) * entry_bytes_);
    if (!s.ok()) return s;
    uint8_t* p = mapping_->data() + entries_ * entry_bytes_;
    StoreBe32(p, static_cast<uint32_t>(key));
    StoreBe32(p + 4, static_cast<uint32_t>(value));
  } else {
    Entry last = entries_ > 0 ? EntryAt(entries_ - 1) : Entry{kNoTimestamp, 0};
    if (entries_ > 0 && value < last.value) {
      return Status::Error("INDEX_ORDER",
                           "time index offset " + std::to_string(value) +
                               " is below the last indexed offset " + std::to_string(last.value) + ": " +
                               path_,
                           path_);
    }
    // Kafka's TimeIndex.maybeAppend: an entry means "every timestamp after this offset is
    // greater than the key", so only a larger timestamp adds information.
    if (key <= last.key) return Status::Ok();
    if (entries_ >= max_entries_) {
      return Status::Error("INDEX_FULL",
                           "time index is full (" + std::to_string(entries_) + " entries): " + path_, path_);
    }
    s = EnsureBacked((entries_ + 1) * entry_bytes_);
    if (!s.ok()) return s;
    uint8_t* p = mapping_->data() + entries_ * entry_bytes_;
    StoreBe64(p, static_cast<uint64_t>(key));
    StoreBe32(p + 8, static_cast<uint32_t>(value));
  }
  entries_++;
  *appended = true;
  return Status::Ok();
}

int64_t MappedIndex::SearchLargestLowerBound(int64_t target) const {
  if (entries_ == 0) return -1;
  const size_t warm_entries = kWarmSectionBytes / entry_bytes_;
  const size_t last = entries_ - 1;
  const size_t first_hot = last > warm_entries ? last - warm_entries : 0;
  size_t lo;
  size_t hi;
  if (EntryAt(first_hot).key < target) {
    lo = first_hot;
    hi = last;
  } else {
    if (EntryAt(0).key > target) return -1;
    lo = 0;
    hi = first_hot;
  }
  // Invariant: key(lo) <= target; find the last such slot in [lo, hi].
  while (lo < hi) {
    size_t mid = lo + (hi - lo + 1) / 2;
    int64_t k = EntryAt(mid).key;
    if (k > target) {
      hi = mid - 1;
    } else if (k < target) {
      lo = mid;
    } else {
      return static_cast<int64_t>(mid);
    }
  }
  return static_cast<int64_t>(lo);
}

Status MappedIndex::AppendAbsolute(const double* pairs, size_t n, size_t* count) {
  *count = 0;
  Status s = CheckWritable();
  if (!s.ok()) return s;
  for (size_t i = 0; i < n; i++) {
    if (is_full()) return Status::Ok();
    const double a = pairs[2 * i];
    const double b = pairs[2 * i + 1];
    int64_t key = static_cast<int64_t>(a);
    int64_t value = static_cast<int64_t>(b);
    if (kind_ == Kind::kOffset)
      key -= base_offset_;
    else
      value -= base_offset_;
    if (a != std::floor(a) || b != std::floor(b) || value < 0 || value > 0xffffffffLL ||
        (kind_ == Kind::kOffset && (key < 0 || key > 0xffffffffLL))) {
      return Status::Error("EINVAL", "index entry out of range in " + path_, path_);
    }
    bool appended = false;
    s = Append(key, value, &appended);
    if (!s.ok()) return s;
    *count = i + 1;
  }
  return Status::Ok();
}

int64_t MappedIndex::LowerSlot(int64_t target) const { return SearchLargestLowerBound(target); }

int64_t MappedIndex::UpperSlot(int64_t target) const {
  int64_t slot = SearchLargestLowerBound(target);
  if (slot >= 0 && EntryAt(static_cast<size_t>(slot)).key == target) return slot;
  size_t next = static_cast<size_t>(slot + 1);
  return next < entries_ ? static_cast<int64_t>(next) : -1;
}

int64_t MappedIndex::ValueLowerBound(int64_t target) const {
  size_t lo = 0;
  size_t hi = entries_;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (EntryAt(mid).value < target) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return static_cast<int64_t>(lo);
}

Status MappedIndex::TruncateTo(int64_t rel_offset) {
  Status s = CheckWritable();
  if (!s.ok()) return s;
  if (kind_ == Kind::kOffset) {
    int64_t slot = UpperSlot(rel_offset);
    if (slot >= 0) entries_ = static_cast<size_t>(slot);
  } else {
    // Values may repeat (several timestamps indexed at one offset), so this is a lower bound
    // over values rather than Kafka's lookup by value, which could keep a duplicate.
    entries_ = static_cast<size_t>(ValueLowerBound(rel_offset));
  }
  return Status::Ok();
}

Status MappedIndex::TruncateToEntries(size_t n) {
  Status s = CheckWritable();
  if (!s.ok()) return s;
  entries_ = std::min(entries_, n);
  return Status::Ok();
}

Status MappedIndex::Reset() {
  Status s = CheckWritable();
  if (!s.ok()) return s;
  entries_ = 0;
  return Resize(max_index_bytes_);
}

Status MappedIndex::Trim() {
  if (closed_) return CheckWritable();
  // A read-only index is exactly its entries already.
  if (!writable_) return Status::Ok();
  return Resize(entries_ * entry_bytes_);
}

Status MappedIndex::Resize(uint64_t max_index_bytes) {
  Status s = CheckWritable();
  if (!s.ok()) return s;
  uint64_t length = std::max<uint64_t>(RoundDown(max_index_bytes, entry_bytes_), entries_ * entry_bytes_);
  if (length == length_) return Status::Ok();
  const uint64_t old_length = length_;
  // Unmap before shrinking: pages past the new end would SIGBUS if touched. A flush in
  // flight keeps its own reference to the old mapping and only msyncs it.
  mapping_.reset();
  s = Ftruncate(fd_.get(), length, path_);
  if (!s.ok()) {
    Status remap = Map(old_length);
    if (!remap.ok()) closed_ = true;
    return s;
  }
  s = Map(length);
  if (!s.ok()) {
    // Without a mapping no entry can be read or written: the index is unusable until reopened.
    closed_ = true;
    return s;
  }
  max_entries_ = static_cast<size_t>(length / entry_bytes_);
  backed_bytes_ = std::min<uint64_t>(backed_bytes_, length);
  return Status::Ok();
}

Status MappedIndex::Close(bool trim) {
  if (closed_) {
    mapping_.reset();
    fd_.Reset();
    return Status::Ok();
  }
  Status s;
  if (trim && writable_) s = Trim();
  mapping_.reset();
  closed_ = true;
  Status c = fd_.Close(path_);
  return s.ok() ? c : s;
}

namespace {

class MsyncWorker : public PromiseWorker {
 public:
  MsyncWorker(Napi::Env env, std::shared_ptr<Mapping> mapping, std::string path)
      : PromiseWorker(env, "sluice.IndexFile.flush"), mapping_(std::move(mapping)), path_(std::move(path)) {}

 protected:
  Status Run() override { return mapping_ ? mapping_->Sync(path_) : Status::Ok(); }

 private:
  std::shared_ptr<Mapping> mapping_;
  std::string path_;
};

constexpr double kMaxU32 = 4294967295.0;
constexpr double kDefaultMaxIndexBytes = 10485760.0;

bool IsInteger(double v) { return std::isfinite(v) && v == std::trunc(v); }

void ThrowRangeError(Napi::Env env, const std::string& message) {
  Napi::RangeError::New(env, message).ThrowAsJavaScriptException();
}

// Lookup targets and truncation keys may lie anywhere on the number line: clamp to int64.
bool ArgKey(const Napi::CallbackInfo& info, size_t i, int64_t* out) {
  double v = 0;
  if (!ArgNumber(info, i, &v)) return false;
  if (std::isnan(v)) {
    ThrowTypeError(info.Env(), "expected a number, got NaN");
    return false;
  }
  if (v <= -9.2e18) {
    *out = INT64_MIN;
  } else if (v >= 9.2e18) {
    *out = INT64_MAX;
  } else {
    *out = static_cast<int64_t>(std::floor(v));
  }
  return true;
}

}  // namespace

class IndexFile : public Napi::ObjectWrap<IndexFile> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  // new IndexFile(kind, path, baseOffset, options): only through openOffsetIndex/openTimeIndex.
  explicit IndexFile(const Napi::CallbackInfo& info);

 private:
  Napi::Value JS_Path(const Napi::CallbackInfo& info);
  Napi::Value JS_BaseOffset(const Napi::CallbackInfo& info);
  Napi::Value JS_Entries(const Napi::CallbackInfo& info);
  Napi::Value JS_MaxEntries(const Napi::CallbackInfo& info);
  Napi::Value JS_IsFull(const Napi::CallbackInfo& info);
  Napi::Value JS_EntryBytes(const Napi::CallbackInfo& info);
  Napi::Value JS_Append(const Napi::CallbackInfo& info);
  Napi::Value JS_AppendEntries(const Napi::CallbackInfo& info);
  Napi::Value JS_Lookup(const Napi::CallbackInfo& info);
  Napi::Value JS_Entry(const Napi::CallbackInfo& info);
  Napi::Value JS_Last(const Napi::CallbackInfo& info);
  Napi::Value JS_TruncateTo(const Napi::CallbackInfo& info);
  Napi::Value JS_TruncateToEntries(const Napi::CallbackInfo& info);
  Napi::Value JS_Reset(const Napi::CallbackInfo& info);
  Napi::Value JS_Trim(const Napi::CallbackInfo& info);
  Napi::Value JS_Resize(const Napi::CallbackInfo& info);
  Napi::Value JS_Flush(const Napi::CallbackInfo& info);
  Napi::Value JS_Close(const Napi::CallbackInfo& info);

  // Throws CLOSED (or a TypeError if construction failed) and returns false when unusable.
  bool CheckOpen(Napi::Env env);
  Napi::Value EntryValue(Napi::Env env, int64_t slot);
  Napi::Value Done(Napi::Env env, const Status& s);

  std::unique_ptr<MappedIndex> index_;
};

Napi::Function IndexFile::DefineClass(Napi::Env env) {
  return ObjectWrap<IndexFile>::DefineClass(
      env, "IndexFile",
      {
          InstanceAccessor<&IndexFile::JS_Path>("path"),
          InstanceAccessor<&IndexFile::JS_BaseOffset>("baseOffset"),
          InstanceAccessor<&IndexFile::JS_Entries>("entries"),
          InstanceAccessor<&IndexFile::JS_MaxEntries>("maxEntries"),
          InstanceAccessor<&IndexFile::JS_IsFull>("isFull"),
          InstanceAccessor<&IndexFile::JS_EntryBytes>("entryBytes"),
          InstanceMethod<&IndexFile::JS_Append>("append"),
          InstanceMethod<&IndexFile::JS_AppendEntries>("appendEntries"),
          InstanceMethod<&IndexFile::JS_Lookup>("lookup"),
          InstanceMethod<&IndexFile::JS_Entry>("entry"),
          InstanceMethod<&IndexFile::JS_Last>("last"),
          InstanceMethod<&IndexFile::JS_TruncateTo>("truncateTo"),
          InstanceMethod<&IndexFile::JS_TruncateToEntries>("truncateToEntries"),
          InstanceMethod<&IndexFile::JS_Reset>("reset"),
          InstanceMethod<&IndexFile::JS_Trim>("trim"),
          InstanceMethod<&IndexFile::JS_Resize>("resize"),
          InstanceMethod<&IndexFile::JS_Flush>("flush"),
          InstanceMethod<&IndexFile::JS_Close>("close"),
      });
}

IndexFile::IndexFile(const Napi::CallbackInfo& info) : Napi::ObjectWrap<IndexFile>(info) {
  Napi::Env env = info.Env();
  double kind = 0;
  std::string path;
  double base_offset = 0;
  if (!ArgNumber(info, 0, &kind) || !ArgString(info, 1, &path) || !ArgNumber(info, 2, &base_offset)) return;
  if (!IsInteger(base_offset) || base_offset < 0 || base_offset > static_cast<double>(kMaxSafeInteger)) {
    ThrowTypeError(env, "baseOffset must be a non-negative integer");
    return;
  }
  double max_index_bytes = kDefaultMaxIndexBytes;
  bool writable = false;
  bool valid_prefix = false;
  bool preallocate = true;
  if (info.Length() > 3 && !info[3].IsUndefined()) {
    if (!info[3].IsObject()) {
      ThrowTypeError(env, "index options must be an object");
      return;
    }
    Napi::Object o = info[3].As<Napi::Object>();
    Napi::Value max = o.Get("maxIndexBytes");
    if (!max.IsUndefined()) {
      if (!max.IsNumber() || !(max.As<Napi::Number>().DoubleValue() >= 0)) {
        ThrowTypeError(env, "maxIndexBytes must be a non-negative number");
        return;
      }
      max_index_bytes = std::min(max.As<Napi::Number>().DoubleValue(), 2147483647.0);
    }
    Napi::Value w = o.Get("writable");
    if (!w.IsUndefined()) {
      if (!w.IsBoolean()) {
        ThrowTypeError(env, "writable must be a boolean");
        return;
      }
      writable = w.As<Napi::Boolean>().Value();
    }
    Napi::Value vp = o.Get("validPrefix");
    if (!vp.IsUndefined()) {
      if (!vp.IsBoolean()) {
        ThrowTypeError(env, "validPrefix must be a boolean");
        return;
      }
      valid_prefix = vp.As<Napi::Boolean>().Value();
    }
    Napi::Value pre = o.Get("preallocate");
    if (!pre.IsUndefined()) {
      if (!pre.IsBoolean()) {
        ThrowTypeError(env, "preallocate must be a boolean");
        return;
      }
      preallocate = pre.As<Napi::Boolean>().Value();
    }
  }
  Status s = MappedIndex::Open(kind == 1 ? MappedIndex::Kind::kTime : MappedIndex::Kind::kOffset, path,
                               static_cast<int64_t>(base_offset), static_cast<uint64_t>(max_index_bytes),
                               writable, preallocate, &index_, valid_prefix);
  if (!s.ok()) ThrowStatus(env, s);
}

bool IndexFile::CheckOpen(Napi::Env env) {
  if (!index_) {
    ThrowTypeError(env, "index was not opened");
    return false;
  }
  if (index_->closed()) {
    ThrowStatus(env, Status::Error("CLOSED", "index is closed: " + index_->path(), index_->path()));
    return false;
  }
  return true;
}

Napi::Value IndexFile::Done(Napi::Env env, const Status& s) {
  if (!s.ok()) ThrowStatus(env, s);
  return env.Undefined();
}

Napi::Value IndexFile::EntryValue(Napi::Env env, int64_t slot) {
  if (slot < 0) return env.Null();
  MappedIndex::Entry e = index_->EntryAt(static_cast<size_t>(slot));
  Napi::Array pair = Napi::Array::New(env, 2);
  pair.Set(uint32_t{0}, Napi::Number::New(env, static_cast<double>(e.key)));
  pair.Set(uint32_t{1}, Napi::Number::New(env, static_cast<double>(e.value)));
  return pair;
}

Napi::Value IndexFile::JS_Path(const Napi::CallbackInfo& info) {
  return index_ ? Napi::String::New(info.Env(), index_->path()) : info.Env().Undefined();
}

Napi::Value IndexFile::JS_BaseOffset(const Napi::CallbackInfo& info) {
  return index_ ? Napi::Number::New(info.Env(), static_cast<double>(index_->base_offset()))
                : info.Env().Undefined();
}

Napi::Value IndexFile::JS_Entries(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), index_ ? static_cast<double>(index_->entries()) : 0);
}

Napi::Value IndexFile::JS_MaxEntries(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), index_ ? static_cast<double>(index_->max_entries()) : 0);
}

Napi::Value IndexFile::JS_IsFull(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !index_ || index_->closed() || index_->is_full());
}

Napi::Value IndexFile::JS_EntryBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), index_ ? static_cast<double>(index_->entry_bytes()) : 0);
}

Napi::Value IndexFile::JS_Append(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double key = 0;
  double value = 0;
  if (!ArgNumber(info, 0, &key) || !ArgNumber(info, 1, &value) || !CheckOpen(env)) return env.Undefined();
  const bool time = index_->kind() == MappedIndex::Kind::kTime;
  const double key_min = time ? -static_cast<double>(kMaxSafeInteger) : 0;
  const double key_max = time ? static_cast<double>(kMaxSafeInteger) : kMaxU32;
  if (!IsInteger(key) || key < key_min || key > key_max) {
    ThrowRangeError(env, time ? "timestamp must be a safe integer" : "relative offset must be a u32 integer");
    return env.Undefined();
  }
  if (!IsInteger(value) || value < 0 || value > kMaxU32) {
    ThrowRangeError(env, time ? "relative offset must be a u32 integer" : "position must be a u32 integer");
    return env.Undefined();
  }
  bool appended = false;
  Status s = index_->Append(static_cast<int64_t>(key), static_cast<int64_t>(value), &appended);
  if (!s.ok()) {
    ThrowStatus(env, s);
    return env.Undefined();
  }
  return Napi::Boolean::New(env, appended);
}

// appendEntries(pairs: Float64Array) → pairs consumed: the whole rebuilt index in one call.
Napi::Value IndexFile::JS_AppendEntries(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    ThrowTypeError(env, "appendEntries needs a Float64Array of (key, value) pairs");
    return env.Undefined();
  }
  Napi::Float64Array pairs = info[0].As<Napi::Float64Array>();
  size_t count = 0;
  Status s = index_->AppendAbsolute(pairs.Data(), pairs.ElementLength() / 2, &count);
  if (!s.ok()) {
    ThrowStatus(env, s);
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(count));
}

Napi::Value IndexFile::JS_Lookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t target = 0;
  if (!ArgKey(info, 0, &target) || !CheckOpen(env)) return env.Undefined();
  return EntryValue(env, index_->LowerSlot(target));
}

Napi::Value IndexFile::JS_Entry(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double n = 0;
  if (!ArgNumber(info, 0, &n) || !CheckOpen(env)) return env.Undefined();
  if (!IsInteger(n) || n < 0 || n >= static_cast<double>(index_->entries())) {
    ThrowRangeError(env, "entry " + std::to_string(n) + " out of range [0, " +
                             std::to_string(index_->entries()) + ") of " + index_->path());
    return env.Undefined();
  }
  return EntryValue(env, static_cast<int64_t>(n));
}

Napi::Value IndexFile::JS_Last(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  return EntryValue(env, static_cast<int64_t>(index_->entries()) - 1);
}

Napi::Value IndexFile::JS_TruncateTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t key = 0;
  if (!ArgKey(info, 0, &key) || !CheckOpen(env)) return env.Undefined();
  return Done(env, index_->TruncateTo(key));
}

Napi::Value IndexFile::JS_TruncateToEntries(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double n = 0;
  if (!ArgNumber(info, 0, &n) || !CheckOpen(env)) return env.Undefined();
  if (!IsInteger(n) || n < 0) {
    ThrowRangeError(env, "entry count must be a non-negative integer");
    return env.Undefined();
  }
  return Done(env, index_->TruncateToEntries(static_cast<size_t>(std::min(n, 9.0e15))));
}

Napi::Value IndexFile::JS_Reset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  return Done(env, index_->Reset());
}

Napi::Value IndexFile::JS_Trim(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  return Done(env, index_->Trim());
}

Napi::Value IndexFile::JS_Resize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double bytes = 0;
  if (!ArgNumber(info, 0, &bytes) || !CheckOpen(env)) return env.Undefined();
  if (!(bytes >= 0)) {
    ThrowRangeError(env, "maxIndexBytes must be a non-negative number");
    return env.Undefined();
  }
  return Done(env, index_->Resize(static_cast<uint64_t>(std::min(bytes, 2147483647.0))));
}

Napi::Value IndexFile::JS_Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!index_ || index_->closed()) {
    const std::string path = index_ ? index_->path() : std::string();
    return RejectedPromise(env, Status::Error("CLOSED", "index is closed: " + path, path));
  }
  auto* worker = new MsyncWorker(env, index_->mapping(), index_->path());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value IndexFile::JS_Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool trim = true;
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!ArgBool(info, 0, &trim)) return env.Undefined();
  }
  if (!index_) return env.Undefined();
  return Done(env, index_->Close(trim));
}

namespace {

struct IndexFactoryData {
  Napi::FunctionReference ctor;
  double kind;
};

Napi::Value JS_OpenIndex(const Napi::CallbackInfo& info) {
  auto* data = static_cast<IndexFactoryData*>(info.Data());
  Napi::Env env = info.Env();
  std::vector<napi_value> args{Napi::Number::New(env, data->kind)};
  for (size_t i = 0; i < info.Length(); i++) args.push_back(info[i]);
  Napi::Object obj = data->ctor.New(args);
  if (env.IsExceptionPending()) return env.Undefined();
  return obj;
}

}  // namespace

void InitIndexFile(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = IndexFile::DefineClass(env);
  auto* offset = new IndexFactoryData{Napi::Persistent(cls), 0};
  auto* time = new IndexFactoryData{Napi::Persistent(cls), 1};
  env.AddCleanupHook([offset, time]() {
    delete offset;
    delete time;
  });
  exports.Set("openOffsetIndex", Napi::Function::New(env, JS_OpenIndex, "openOffsetIndex", offset));
  exports.Set("openTimeIndex", Napi::Function::New(env, JS_OpenIndex, "openTimeIndex", time));
}

}  // namespace sluice
