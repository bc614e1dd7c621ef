// libFuzzer target: decompression (codecs.cc) of arbitrary bytes for every codec, as a produce
// request's compressed batch payload would reach it.
//
// Input: one selector byte (codec = 1 + bits 0-1: gzip, snappy, lz4, zstd; bound = bits 2-3),
// then the payload. Properties (beyond ASan/UBSan): decompression returns OK with at most
// max_output_bytes, or one of its documented errors; it never allocates past the bound (a
// bomb is refused, not inflated: libFuzzer's -rss_limit_mb and -malloc_limit_mb catch that).
#include <cstdint>
#include <vector>

#include "codecs.h"
#include "fuzz_check.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t size) {
  if (size < 1) return 0;
  const int codec = 1 + (input[0] & 3);
  static const size_t kBounds[] = {0, 64, 64 << 10, 4 << 20};
  const size_t bound = kBounds[(input[0] >> 2) & 3];
  std::vector<uint8_t> payload(input + 1, input + size);
  std::vector<uint8_t> out;
  const Status s = Decompress(codec, payload.data(), payload.size(), bound, &out);
  if (s.ok()) {
    FUZZ_CHECK(out.size() <= bound);
  } else {
    FUZZ_CHECK(s.code() == "CORRUPT_COMPRESSED_DATA" || s.code() == "DECOMPRESSED_TOO_LARGE" ||
               s.code() == "UNSUPPORTED_CODEC");
  }
  return 0;
}
