// libFuzzer target: streaming decompression (codec_stream.h, used by record validation)
// against whole-buffer decompression (codecs.h, used by readers), on arbitrary bytes.
//
// Input: one selector byte (codec = 1 + bits 0-1; read size from bits 2-4: 1 to 64 KiB), then
// the payload. Properties: the stream never hands out more than its bound; whenever the whole
// decompression succeeds the stream yields exactly the same bytes (a batch the validator
// decodes one way must read back the same way); whenever the stream ends cleanly the whole
// decompression succeeds with the same bytes.
#include <cstdint>
#include <vector>

#include "codec_stream.h"
#include "codecs.h"
#include "fuzz_check.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t size) {
  if (size < 1) return 0;
  const int codec = 1 + (input[0] & 3);
  static const size_t kReads[] = {1, 7, 64, 512, 4096, 65536, 3, 1000};
  const size_t read_size = kReads[(input[0] >> 2) & 7];
  const size_t bound = size_t{1} << 20;
  std::vector<uint8_t> payload(input + 1, input + size);

  std::vector<uint8_t> whole;
  const Status w = Decompress(codec, payload.data(), payload.size(), bound, &whole);

  DecompressStream stream;
  Status s = stream.Start(codec, payload.data(), payload.size(), bound);
  if (s.code() == "UNSUPPORTED_CODEC") return 0;  // gzip compiled out (no zlib)
  FUZZ_CHECK(s.ok());
  std::vector<uint8_t> streamed;
  std::vector<uint8_t> buf(read_size);
  for (;;) {
    size_t n = 0;
    s = stream.Read(buf.data(), buf.size(), &n);
    if (!s.ok() || n == 0) break;
    FUZZ_CHECK(n <= buf.size());
    streamed.insert(streamed.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    FUZZ_CHECK(streamed.size() <= bound);
  }
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == "CORRUPT_COMPRESSED_DATA" || s.code() == "DECOMPRESSED_TOO_LARGE");
  }
  if (w.ok()) {
    FUZZ_CHECK(s.ok());
    FUZZ_CHECK(streamed == whole);
  }
  if (s.ok()) {
    FUZZ_CHECK(w.ok());
    FUZZ_CHECK(streamed == whole);
  }
  return 0;
}
