// Streaming decompression of a record batch's records section, for validation: the decoded
// bytes are pulled in pieces into the caller's buffer, so no output buffer of the decoded size
// is ever allocated (codecs.h's Decompress inflates whole). Formats as in codecs.h: gzip
// (concatenated members), raw or xerial-framed snappy, lz4 frames (concatenated; decoded whole,
// bounded: see Start), zstd frames.
//
// The codec state (z_stream, zstd context, the snappy block and lz4 output buffers) is per thread and
// reused from batch to batch: creating a context costs more than decoding a small batch. At most
// max_output_bytes are decoded: past that Read fails, so a bomb costs a bounded amount of work.
// A snappy block's declared length is checked against both that bound and the most its input
// can expand to (a snappy tag of n bytes yields at most 64 / 3 bytes per byte), before the block
// buffer is sized for it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "status.h"

namespace sluice {

class DecompressStream {
 public:
  DecompressStream() = default;
  DecompressStream(const DecompressStream&) = delete;
  DecompressStream& operator=(const DecompressStream&) = delete;
  ~DecompressStream();

  // Starts decoding data[0, len) (which must stay valid until the stream is done) with `codec`
  // (1-4). Errors: UNSUPPORTED_CODEC, ENOMEM.
  Status Start(int codec, const uint8_t* data, size_t len, size_t max_output_bytes);

  // Decodes up to `cap` (> 0) bytes into dst; *n = 0 means the stream has ended. Errors:
  // CORRUPT_COMPRESSED_DATA (malformed or cut short), DECOMPRESSED_TOO_LARGE, ENOMEM.
  Status Read(uint8_t* dst, size_t cap, size_t* n);

  uint64_t produced() const { return produced_; }

 private:
  Status ReadGzip(uint8_t* dst, size_t cap, size_t* n);
  Status ReadSnappy(uint8_t* dst, size_t cap, size_t* n);
  Status ReadLz4(uint8_t* dst, size_t cap, size_t* n);
  Status ReadZstd(uint8_t* dst, size_t cap, size_t* n);
  Status NextSnappyBlock(bool* ended);

  int codec_ = 0;
  const uint8_t* in_ = nullptr;
  size_t in_len_ = 0;
  size_t in_pos_ = 0;
  size_t max_output_bytes_ = 0;
  uint64_t produced_ = 0;
  bool ended_ = false;
  bool xerial_ = false;
  // lz4: the outcome of decoding the payload whole in Start, reported by the first Read.
  Status deferred_;
  // Snappy: the decoded block and how much of it was handed out (lz4: of the decoded payload).
  size_t block_len_ = 0;
  size_t block_pos_ = 0;
};

// Frees this thread's codec state (see DecompressStream); recreated on next use.
void ReleaseDecompressStreamState();

}  // namespace sluice
