// libFuzzer target: compress → decompress (codecs.cc) of arbitrary bytes, every codec.
//
// Input: one selector byte (codec = bits 0-2 mod 5, level from bits 3-7), then the data.
// Properties: compression succeeds; decompression with a bound of exactly the data's size
// gives the data back; with a bound one byte smaller it fails DECOMPRESSED_TOO_LARGE.
#include <cstdint>
#include <vector>

#include "codecs.h"
#include "fuzz_check.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t size) {
  if (size < 1) return 0;
  const int codec = (input[0] & 7) % 5;
  // -1 = the codec's default; otherwise a small level (gzip 1-9, lz4 HC 1-9, zstd 1-9).
  const int level = (input[0] >> 3) == 0 ? -1 : 1 + (input[0] >> 3) % 9;
  std::vector<uint8_t> data(input + 1, input + size);
  std::vector<uint8_t> compressed;
  Status s = Compress(codec, data.data(), data.size(), level, &compressed);
  if (!s.ok() && s.code() == "UNSUPPORTED_CODEC") return 0;  // gzip compiled out (no zlib)
  FUZZ_CHECK(s.ok());
  std::vector<uint8_t> back;
  s = Decompress(codec, compressed.data(), compressed.size(), data.size(), &back);
  FUZZ_CHECK(s.ok());
  FUZZ_CHECK(back == data);
  if (!data.empty()) {
    s = Decompress(codec, compressed.data(), compressed.size(), data.size() - 1, &back);
    FUZZ_CHECK(!s.ok() && s.code() == "DECOMPRESSED_TOO_LARGE");
  }
  return 0;
}
