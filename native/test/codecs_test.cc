// Codecs: round trips, the framings other Kafka clients write (xerial snappy, old lz4
// header checksums, zstd without content size), the decompression bound, corrupt input.
#include "codecs.h"

#include <random>
#include <string>
#include <vector>

#include "check.h"

#define XXH_NAMESPACE LZ4_
#include "lz4frame.h"
#include "snappy.h"
#include "xxhash.h"
#include "zstd.h"

using namespace sluice;

namespace {

const int kAllCodecs[] = {kCodecGzip, kCodecSnappy, kCodecLz4, kCodecZstd};

bool Skippable(int codec) {
#ifdef SLUICE_NO_GZIP
  return codec == kCodecGzip;
#else
  (void)codec;
  return false;
#endif
}

std::vector<uint8_t> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

std::vector<uint8_t> Compressible(size_t n) {
  std::vector<uint8_t> v(n);
  const std::string text = "{\"user\":12345,\"event\":\"page_view\",\"path\":\"/products/42\"}\n";
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(text[i % text.size()] + (i / 4096) % 3);
  return v;
}

void RoundTrip(int codec, const std::vector<uint8_t>& input) {
  std::vector<uint8_t> compressed;
  std::vector<uint8_t> output;
  Status s = Compress(codec, input.data(), input.size(), -1, &compressed);
  CHECK(s.ok());
  s = Decompress(codec, compressed.data(), compressed.size(), kDefaultMaxOutputBytes, &output);
  if (!s.ok()) std::fprintf(stderr, "codec %d: %s\n", codec, s.message().c_str());
  CHECK(s.ok());
  CHECK(output == input);
}

void RoundTripAll(const std::vector<uint8_t>& input) {
  for (int codec : kAllCodecs) {
    if (!Skippable(codec)) RoundTrip(codec, input);
  }
}

}  // namespace

TEST(every_codec_round_trips_empty_input) { RoundTripAll({}); }

// Found by fuzz_decompress_stream: zstd alone took an empty payload for an empty stream, so
// record validation (which streams) and readers (which decompress whole) disagreed.
TEST(empty_compressed_input_is_corrupt_for_every_codec) {
  for (int codec : kAllCodecs) {
    if (Skippable(codec)) continue;
    std::vector<uint8_t> out;
    Status s = Decompress(codec, nullptr, 0, 1 << 20, &out);
    CHECK(!s.ok());
    CHECK_EQ(s.code(), std::string("CORRUPT_COMPRESSED_DATA"));
  }
}

TEST(every_codec_round_trips_small_input) {
  const std::string s = "hello sluice";
  RoundTripAll(std::vector<uint8_t>(s.begin(), s.end()));
}

TEST(every_codec_round_trips_one_mebibyte_of_random_bytes) { RoundTripAll(Random(1 << 20, 7)); }

TEST(every_codec_round_trips_compressible_data_and_shrinks_it) {
  const auto input = Compressible(3 << 20);
  RoundTripAll(input);
  for (int codec : kAllCodecs) {
    if (Skippable(codec)) continue;
    std::vector<uint8_t> compressed;
    CHECK(Compress(codec, input.data(), input.size(), -1, &compressed).ok());
    CHECK(compressed.size() < input.size() / 4);
  }
}

TEST(gzip_round_trips) {
#ifdef SLUICE_NO_GZIP
  SKIP("built without system zlib");
#else
  RoundTrip(kCodecGzip, Compressible(100000));
  RoundTrip(kCodecGzip, Random(100000, 1));
#endif
}

TEST(gzip_reads_concatenated_members) {
#ifdef SLUICE_NO_GZIP
  SKIP("built without system zlib");
#else
  const std::string a = "first member ", b = "second member";
  std::vector<uint8_t> ca, cb, out;
  CHECK(Compress(kCodecGzip, reinterpret_cast<const uint8_t*>(a.data()), a.size(), 1, &ca).ok());
  CHECK(Compress(kCodecGzip, reinterpret_cast<const uint8_t*>(b.data()), b.size(), 9, &cb).ok());
  ca.insert(ca.end(), cb.begin(), cb.end());
  CHECK(Decompress(kCodecGzip, ca.data(), ca.size(), 1000, &out).ok());
  CHECK(std::string(out.begin(), out.end()) == a + b);
#endif
}

TEST(snappy_reads_xerial_framing_as_java_writes_it) {
  const auto input = Compressible(200000);
  // Java's SnappyOutputStream: header, then chunks of at most 32 KiB of input each.
  std::vector<uint8_t> framed = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
  for (size_t pos = 0; pos < input.size(); pos += 32768) {
    const size_t n = std::min<size_t>(32768, input.size() - pos);
    std::string block;
    snappy::Compress(reinterpret_cast<const char*>(input.data() + pos), n, &block);
    const uint32_t len = static_cast<uint32_t>(block.size());
    framed.insert(framed.end(), {static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
                                 static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)});
    framed.insert(framed.end(), block.begin(), block.end());
  }
  std::vector<uint8_t> out;
  Status s = Decompress(kCodecSnappy, framed.data(), framed.size(), kDefaultMaxOutputBytes, &out);
  CHECK(s.ok());
  CHECK(out == input);
  // The bound applies across chunks.
  s = Decompress(kCodecSnappy, framed.data(), framed.size(), 100000, &out);
  CHECK_EQ(s.code(), std::string("DECOMPRESSED_TOO_LARGE"));
  // A chunk length running past the end is corrupt.
  framed.resize(framed.size() - 1);
  s = Decompress(kCodecSnappy, framed.data(), framed.size(), kDefaultMaxOutputBytes, &out);
  CHECK_EQ(s.code(), std::string("CORRUPT_COMPRESSED_DATA"));
}

TEST(lz4_accepts_old_kafka_frames_with_the_broken_header_checksum) {
  const auto input = Compressible(100000);
  std::vector<uint8_t> frame;
  CHECK(Compress(kCodecLz4, input.data(), input.size(), -1, &frame).ok());
  // Our frames have no content size or dictionary id: descriptor = FLG BD, HC at byte 6.
  CHECK_EQ(frame[4] & 0x09, 0);
  frame[6] = static_cast<uint8_t>(XXH32(frame.data(), 6, 0) >> 8);  // computed over the magic too
  std::vector<uint8_t> out;
  Status s = Decompress(kCodecLz4, frame.data(), frame.size(), kDefaultMaxOutputBytes, &out);
  CHECK(s.ok());
  CHECK(out == input);
  // Any other wrong header checksum is still corrupt.
  frame[6] ^= 0x5a;
  s = Decompress(kCodecLz4, frame.data(), frame.size(), kDefaultMaxOutputBytes, &out);
  CHECK_EQ(s.code(), std::string("CORRUPT_COMPRESSED_DATA"));
}

TEST(lz4_frames_use_64k_independent_blocks_as_java_reads_them) {
  const auto input = Compressible(1000);
  std::vector<uint8_t> frame;
  CHECK(Compress(kCodecLz4, input.data(), input.size(), -1, &frame).ok());
  CHECK_EQ(frame[4] & 0x20, 0x20);     // block independence
  CHECK_EQ((frame[5] >> 4) & 0x7, 4);  // 64 KiB blocks
}

TEST(zstd_decodes_frames_without_a_content_size_by_streaming) {
  const auto input = Compressible(1 << 20);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  std::vector<uint8_t> frame(ZSTD_compressBound(input.size()));
  ZSTD_outBuffer o = {frame.data(), frame.size(), 0};
  ZSTD_inBuffer in = {input.data(), input.size(), 0};
  const size_t left = ZSTD_compressStream2(cctx, &o, &in, ZSTD_e_end);
  ZSTD_freeCCtx(cctx);
  CHECK_EQ(left, size_t{0});
  frame.resize(o.pos);
  CHECK_EQ(ZSTD_getFrameContentSize(frame.data(), frame.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  std::vector<uint8_t> out;
  Status ds = Decompress(kCodecZstd, frame.data(), frame.size(), kDefaultMaxOutputBytes, &out);
  if (!ds.ok()) std::fprintf(stderr, "%s\n", ds.message().c_str());
  CHECK(ds.ok());
  CHECK(out == input);
  Status s = Decompress(kCodecZstd, frame.data(), frame.size(), 1000, &out);
  CHECK_EQ(s.code(), std::string("DECOMPRESSED_TOO_LARGE"));
  frame.resize(frame.size() / 2);
  s = Decompress(kCodecZstd, frame.data(), frame.size(), kDefaultMaxOutputBytes, &out);
  CHECK_EQ(s.code(), std::string("CORRUPT_COMPRESSED_DATA"));
}

TEST(decompression_past_max_output_bytes_fails_with_decompressed_too_large) {
  const std::vector<uint8_t> zeros(8 << 20, 0);
  for (int codec : kAllCodecs) {
    if (Skippable(codec)) continue;
    std::vector<uint8_t> compressed, out;
    CHECK(Compress(codec, zeros.data(), zeros.size(), -1, &compressed).ok());
    Status s = Decompress(codec, compressed.data(), compressed.size(), (8 << 20) - 1, &out);
    CHECK_EQ(s.code(), std::string("DECOMPRESSED_TOO_LARGE"));
    // Exactly at the bound is fine.
    s = Decompress(codec, compressed.data(), compressed.size(), 8 << 20, &out);
    CHECK(s.ok());
    CHECK_EQ(out.size(), zeros.size());
  }
}

TEST(corrupt_input_fails_with_corrupt_compressed_data) {
  const auto garbage = Random(1000, 9);
  const auto input = Compressible(50000);
  for (int codec : kAllCodecs) {
    if (Skippable(codec)) continue;
    std::vector<uint8_t> out;
    Status s = Decompress(codec, garbage.data(), garbage.size(), kDefaultMaxOutputBytes, &out);
    CHECK_EQ(s.code(), std::string("CORRUPT_COMPRESSED_DATA"));
    std::vector<uint8_t> compressed;
    CHECK(Compress(codec, input.data(), input.size(), -1, &compressed).ok());
    compressed.resize(compressed.size() - 5);  // cut short
    s = Decompress(codec, compressed.data(), compressed.size(), kDefaultMaxOutputBytes, &out);
    if (s.code() != "CORRUPT_COMPRESSED_DATA")
      std::fprintf(stderr, "codec %d truncated: %s\n", codec, s.code().c_str());
    CHECK_EQ(s.code(), std::string("CORRUPT_COMPRESSED_DATA"));
  }
}

TEST(every_codec_honours_levels) {
  const auto input = Compressible(1 << 20);
  for (int codec : kAllCodecs) {
    if (Skippable(codec)) continue;
    for (int level : {1, 9}) {
      std::vector<uint8_t> compressed, out;
      CHECK(Compress(codec, input.data(), input.size(), level, &compressed).ok());
      CHECK(Decompress(codec, compressed.data(), compressed.size(), kDefaultMaxOutputBytes, &out).ok());
      CHECK(out == input);
    }
  }
}

TEST_MAIN("codecs")
