// Compression codecs of Kafka record batches, by attribute id (bits 0-2):
//
//   1 gzip    RFC 1952 gzip member(s) (zlib deflate, windowBits 15+16); decompression
//             auto-detects gzip/zlib headers and continues through concatenated members.
//   2 snappy  raw snappy block; decompression also accepts the xerial framing that Java's
//             SnappyOutputStream writes:
//               offset  size  field
//                    0     8  magic 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
//                    8     4  version (BE int32)
//                   12     4  compatible version (BE int32)
//                   16     -  chunks: [int32 BE compressed length][raw snappy block]*
//   3 lz4     LZ4 frame format (64 KiB independent blocks, no content checksum, as Java's
//             Lz4BlockOutputStream writes); decompression also accepts the frames of
//             pre-0.10 Kafka clients whose header checksum wrongly covered the magic number.
//   4 zstd    zstd frame(s); frames without a content size are decoded by streaming.
//
// Decompression never produces more than max_output_bytes (a decompression-bomb bound):
// exceeding it fails with DECOMPRESSED_TOO_LARGE; malformed input fails with
// CORRUPT_COMPRESSED_DATA.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "status.h"

namespace sluice {

enum CodecId : int {
  kCodecNone = 0,
  kCodecGzip = 1,
  kCodecSnappy = 2,
  kCodecLz4 = 3,
  kCodecZstd = 4,
};

// Default decompression bound: 256 MiB, far above any batch Kafka's defaults allow
// (message.max.bytes ~1 MiB compressed) yet small enough that a bomb cannot exhaust memory.
constexpr size_t kDefaultMaxOutputBytes = size_t{256} << 20;

bool IsValidCodec(int codec);

// Compresses data[0, len) into *out (replacing its contents). level < 0 picks the codec's
// default (gzip 6, lz4 0 = fast, zstd 3; snappy has no levels). Codec 0 copies.
Status Compress(int codec, const uint8_t* data, size_t len, int level, std::vector<uint8_t>* out);

// Decompresses data[0, len) into *out (replacing its contents). Codec 0 copies (still bounded).
Status Decompress(int codec, const uint8_t* data, size_t len, size_t max_output_bytes,
                  std::vector<uint8_t>* out);

}  // namespace sluice
