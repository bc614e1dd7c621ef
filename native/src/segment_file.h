// A segment `.log` file: record batches (magic 2, layout in batch_format.h) back to back,
// exactly as they travel on the wire, appended at the end and never rewritten in place.
//
//   position 0            p1                     p2                  size
//   | batch (len0 + 12)   | batch (len1 + 12)    | ...                |
//
// A batch's whole size is its batchLength field (bytes 8..12) + 12, so the file is walked by
// reading each header's length. Nothing else is stored: index files (index_file.h) map
// offsets and timestamps to positions in this file.
//
// The pure functions below hold the file logic (testable without JS); SegmentFile in
// segment_file.cc wraps them for N-API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "batch_format.h"
#include "status.h"

namespace sluice {

// Outcome of scanning a file range (see ScanFile). Positions are file positions.
struct FileScan {
  std::vector<BatchHeader> headers;
  uint64_t valid_end = 0;  // end of the valid prefix
  ScanError error = ScanError::kNone;
  uint64_t error_position = 0;  // == valid_end when error != kNone
};

// Scans [position, end) of `fd` in bounded chunks (never the whole file in memory),
// validating length, magic, CRC-32C (if options.verify_crc) and strictly increasing offsets
// (each batch's baseOffset > the previous batch's lastOffset). Stops at the first invalid batch.
// With `visit`, each valid batch header is handed to it instead of being collected in
// out->headers, so a scan of a large segment holds one chunk of headers at a time.
Status ScanFile(int fd, const std::string& path, uint64_t position, uint64_t end, const ScanOptions& options,
                FileScan* out, const std::function<void(const BatchHeader&)>& visit = nullptr);

// Where a header walk (WalkBatchHeaders) stopped.
struct HeaderWalk {
  bool found = false;
  BatchHeader header;
  ScanError error = ScanError::kNone;  // set when a malformed header stopped the walk
  uint64_t error_position = 0;
};

// Walks batch headers (no CRC) from `position` over batches starting before `end`, until
// `stop(header)` returns true. `file_size` bounds reads: a header or batch running past it is
// reported as TRUNCATED_HEADER / TRUNCATED_BODY.
Status WalkBatchHeaders(int fd, const std::string& path, uint64_t position, uint64_t end, uint64_t file_size,
                        const std::function<bool(const BatchHeader&)>& stop, HeaderWalk* out);

// What ReadWholeBatches decided: `bytes` whole batches starting at the read position sit at
// the front of the destination; or the first batch would have been returned but does not fit
// in the destination (`needed` = its whole size, bytes == 0); or, if error != kNone, the batch
// at error_position is corrupt (bytes == 0).
struct BatchRead {
  size_t bytes = 0;
  // The offset after the last batch of [0, bytes), as stored in it; -1 when bytes is 0.
  int64_t next_offset = -1;
  uint64_t needed = 0;
  ScanError error = ScanError::kNone;
  uint64_t error_position = 0;
};

// Reads the whole batches of [position, end) that fit in `max_bytes` (at least the first one
// if `min_one_batch`) and in `capacity`, preading straight into `dst`. Length, magic and
// increasing offsets of each batch are always checked; CRC-32C only when `verify_crc` (the
// caller skips it for ranges this process has verified before). `dst` may hold read-ahead
// bytes past `bytes` (up to `capacity`): only [0, bytes) is meaningful. When the first batch
// would be returned (min_one_batch, or it fits max_bytes) but is larger than `capacity`,
// nothing is returned and out->needed says how large `dst` must be.
Status ReadWholeBatches(int fd, const std::string& path, uint64_t position, uint64_t end, size_t max_bytes,
                        bool min_one_batch, bool verify_crc, uint8_t* dst, size_t capacity, BatchRead* out);

}  // namespace sluice
