// Sparse segment indexes, byte-compatible with Kafka's `.index` and `.timeindex` files.
// All integers are big-endian; entries are packed with no header and no checksum (after an
// unclean shutdown the segment is recovered and its indexes rebuilt, as in Kafka).
//
//   .index      8-byte entries              .timeindex   12-byte entries
//   offset  size  field                     offset  size  field
//        0     4  relative offset (u32)          0     8  timestamp (i64, ms): the largest
//        4     4  file position (u32)                     timestamp seen before the offset
//                                                8     4  relative offset (u32)
//
// relative offset = absolute offset - the segment's base offset (the file name). Keys
// (offset / timestamp) strictly increase from entry to entry; values never decrease.
//
// A writable index is preallocated to maxIndexBytes (rounded down to whole entries) and
// mmap'd MAP_SHARED; trim() / close() cut the file back to exactly entries * entryBytes, so
// a cleanly closed index file holds only valid entries. On open, entries = file length /
// entryBytes, as Kafka does: a file still at its preallocated length (unclean shutdown)
// therefore has a zero-filled tail, which the open sanity check reports as CORRUPT_INDEX
// (last key <= first key) so the caller rebuilds it from the segment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "fs_ops.h"
#include "status.h"

namespace sluice {

// One mmap'd region; unmapped once, when the last holder lets go (an msync on the thread
// pool holds it across a resize or close on the JS thread).
class Mapping {
 public:
  Mapping(uint8_t* data, size_t size) : data_(data), size_(size) {}
  ~Mapping();
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // msync(MS_SYNC) of the whole mapping.
  Status Sync(const std::string& path) const;

 private:
  uint8_t* data_;
  size_t size_;
};

class MappedIndex {
 public:
  enum class Kind { kOffset, kTime };
  struct Entry {
    int64_t key;    // relative offset (offset index) or timestamp (time index)
    int64_t value;  // position (offset index) or relative offset (time index)
  };

  static constexpr size_t kOffsetEntryBytes = 8;
  static constexpr size_t kTimeEntryBytes = 12;
  // Kafka's warm section: the last 8 KiB of entries, which every tail lookup touches, so the
  // pages binary search visits for in-sync readers stay in the page cache (AbstractIndex).
  static constexpr size_t kWarmSectionBytes = 8192;
  // The time index reports an empty index's last timestamp as -1 (Kafka's NO_TIMESTAMP), so
  // only timestamps >= 0 are ever indexed.
  static constexpr int64_t kNoTimestamp = -1;

  // Opens (creating it if writable) and maps the index; see the file comment for sizing.
  // Opens (creating it if writable) and maps the index; see the file comment for sizing.
  // A writable open grows the file to max_index_bytes only when `preallocate`.
  // With `valid_prefix` (recovery after an unclean stop, when the file still has its zero-filled
  // preallocated tail), the index holds the longest prefix of entries that could be valid
  // (offset index: keys and positions strictly increase, positions > 0; time index: timestamps
  // strictly increase, offsets never decrease) instead of failing with CORRUPT_INDEX. The
  // caller must still check an entry against the log before trusting it.
  static Status Open(Kind kind, const std::string& path, int64_t base_offset, uint64_t max_index_bytes,
                     bool writable, bool preallocate, std::unique_ptr<MappedIndex>* out,
                     bool valid_prefix = false);

  MappedIndex(const MappedIndex&) = delete;
  MappedIndex& operator=(const MappedIndex&) = delete;

  Kind kind() const { return kind_; }
  const std::string& path() const { return path_; }
  int64_t base_offset() const { return base_offset_; }
  size_t entry_bytes() const { return entry_bytes_; }
  size_t entries() const { return entries_; }
  size_t max_entries() const { return max_entries_; }
  bool writable() const { return writable_; }
  bool closed() const { return closed_; }
  // The time index keeps its last slot free for the entry written when the segment rolls
  // (Kafka's TimeIndex.isFull), so a roll triggered by isFull can still record it.
  bool is_full() const;

  Entry EntryAt(size_t n) const;
  // Offset index: (rel offset, position); throws INDEX_ORDER unless rel offset grows.
  // Time index: (timestamp, rel offset); *appended = false when the timestamp does not grow.
  Status Append(int64_t key, int64_t value, bool* appended);
  // Slot of the largest entry with key <= target, or -1.
  int64_t LowerSlot(int64_t target) const;
  // Slot of the smallest entry with key >= target, or -1.
  int64_t UpperSlot(int64_t target) const;
  // Drops entries whose relative offset (key of .index, value of .timeindex) >= rel_offset.
  Status TruncateTo(int64_t rel_offset);
  Status TruncateToEntries(size_t n);
  // Appends (absolute key, absolute value) pairs as Append does, converting absolute offsets to
  // relative ones (offset index: (offset, position); time index: (timestamp, offset)), until
  // the index is full. *count gets the number of pairs consumed (appended or skipped as not
  // growing); fewer than given means the index is full.
  Status AppendAbsolute(const double* pairs, size_t n, size_t* count);
  // No entries, preallocation back to max_index_bytes.
  Status Reset();
  Status Trim();
  Status Resize(uint64_t max_index_bytes);
  Status Close(bool trim);
  std::shared_ptr<Mapping> mapping() const { return mapping_; }

 private:
  MappedIndex(Kind kind, std::string path, int64_t base_offset, uint64_t max_index_bytes, bool writable);

  Status CheckWritable() const;
  Status Map(uint64_t length);
  // Gives the file disk blocks up to at least `end` (see backed_bytes_).
  Status EnsureBacked(uint64_t end);
  // Kafka's lookup: if the target is past the first warm entry, search only the warm tail.
  int64_t SearchLargestLowerBound(int64_t target) const;
  int64_t ValueLowerBound(int64_t target) const;

  Kind kind_;
  std::string path_;
  int64_t base_offset_;
  uint64_t max_index_bytes_;
  bool writable_;
  size_t entry_bytes_;
  UniqueFd fd_;
  std::shared_ptr<Mapping> mapping_;
  uint64_t length_ = 0;  // file length == mapping length
  size_t entries_ = 0;
  size_t max_entries_ = 0;
  // File bytes known to have disk blocks. The preallocated tail is sparse: the first write
  // into one of its pages through the mapping allocates a block in the page fault, and on a
  // full disk that fault is SIGBUS, which kills the process. Append allocates ahead with
  // fallocate instead, so a full disk is ENOSPC for that one append.
  uint64_t backed_bytes_ = 0;
  bool closed_ = false;
};

}  // namespace sluice
