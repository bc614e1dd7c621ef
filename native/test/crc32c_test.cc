// CRC-32C: known vectors (RFC 3720 §B.4) and agreement of the VPCLMULQDQ, SSE4.2 and
// portable paths.
#include "crc32c.h"

#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "check.h"

using sluice::Crc32c;
using sluice::Crc32cClmul;
using sluice::Crc32cPortable;
using sluice::Crc32cSse42;

namespace {

uint32_t Both(const std::vector<uint8_t>& v) {
  const uint32_t portable = Crc32cPortable(0, v.data(), v.size());
  if (sluice::Crc32cHasSse42()) CHECK_EQ(Crc32cSse42(0, v.data(), v.size()), portable);
  if (sluice::Crc32cHasClmul()) CHECK_EQ(Crc32cClmul(0, v.data(), v.size()), portable);
  CHECK_EQ(Crc32c(0, v.data(), v.size()), portable);
  return portable;
}

// Bit-at-a-time reference, independent of the table code.
uint32_t Reference(const uint8_t* p, size_t n) {
  uint32_t crc = ~0u;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

}  // namespace

TEST(check_string_123456789_is_e3069283) {
  const std::string s = "123456789";
  CHECK_EQ(Both(std::vector<uint8_t>(s.begin(), s.end())), 0xE3069283u);
}

TEST(empty_input_is_zero) { CHECK_EQ(Both({}), 0u); }

TEST(rfc3720_32_bytes_of_zeros) { CHECK_EQ(Both(std::vector<uint8_t>(32, 0x00)), 0x8A9136AAu); }

TEST(rfc3720_32_bytes_of_ones) { CHECK_EQ(Both(std::vector<uint8_t>(32, 0xFF)), 0x62A8AB43u); }

TEST(rfc3720_32_incrementing_bytes) {
  std::vector<uint8_t> v(32);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(i);
  CHECK_EQ(Both(v), 0x46DD794Eu);
}

TEST(rfc3720_32_decrementing_bytes) {
  std::vector<uint8_t> v(32);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(31 - i);
  CHECK_EQ(Both(v), 0x113FDB5Cu);
}

TEST(rfc3720_iscsi_read_command_pdu) {
  const std::vector<uint8_t> pdu = {0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
                                    0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  CHECK_EQ(Both(pdu), 0xD9963A56u);
}

TEST(continuing_from_a_previous_crc_equals_one_pass) {
  std::mt19937 rng(1);
  std::vector<uint8_t> v(5000);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  const uint32_t whole = Crc32c(0, v.data(), v.size());
  for (size_t split : {0, 1, 7, 8, 100, 767, 768, 2500, 4999, 5000}) {
    CHECK_EQ(Crc32c(Crc32c(0, v.data(), split), v.data() + split, v.size() - split), whole);
    CHECK_EQ(Crc32cPortable(Crc32cPortable(0, v.data(), split), v.data() + split, v.size() - split), whole);
  }
}

TEST(portable_matches_bitwise_reference) {
  std::mt19937 rng(2);
  std::vector<uint8_t> v(4096 + 16);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  for (size_t len = 0; len < 600; ++len) {
    const size_t off = rng() % 16;
    CHECK_EQ(Crc32cPortable(0, v.data() + off, len), Reference(v.data() + off, len));
  }
}

TEST(sse42_matches_portable_on_every_length_and_alignment) {
  if (!sluice::Crc32cHasSse42()) SKIP("CPU has no SSE4.2");
  std::mt19937 rng(3);
  // Large enough for several rounds of the three-chain loops (3 x 8192 and 3 x 256 bytes).
  std::vector<uint8_t> v(3 * 8192 * 3 + 3 * 256 * 2 + 64);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  for (size_t len = 0; len <= 2048; ++len) {
    for (size_t off = 0; off < 8; ++off) {
      const uint32_t init = static_cast<uint32_t>(rng());
      CHECK_EQ(Crc32cSse42(init, v.data() + off, len), Crc32cPortable(init, v.data() + off, len));
    }
  }
  for (size_t len : {3 * 8192 - 1, 3 * 8192, 3 * 8192 + 1, 3 * 8192 + 3 * 256 + 9, 2 * 3 * 8192 + 5,
                     3 * 3 * 8192 + 3 * 256 * 2 + 56}) {
    for (size_t off = 0; off < 8; ++off) {
      if (off + len > v.size()) continue;
      CHECK_EQ(Crc32cSse42(0, v.data() + off, len), Crc32cPortable(0, v.data() + off, len));
    }
  }
}

// The folding path's layout: its loads are 64-byte aligned after a head of up to 63 bytes,
// so every offset mod 64 takes a different head; lengths up to 2048 cover the size
// threshold, zero to several iterations of the 256-byte loop, and every 64- and 16-byte
// leftover and byte tail. The buffer itself is 64-byte aligned so offsets mean the same on
// every run.
TEST(clmul_matches_portable_on_every_length_and_alignment) {
  if (!sluice::Crc32cHasClmul()) SKIP("CPU has no AVX-512 VPCLMULQDQ (or the OS disabled AVX-512)");
  std::mt19937 rng(5);
  std::vector<uint8_t> storage(2048 + 64 + 64);
  uint8_t* base = storage.data() + (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) % 64;
  for (size_t i = 0; i < 2048 + 64; ++i) base[i] = static_cast<uint8_t>(rng());
  for (size_t len = 0; len <= 2048; ++len) {
    for (size_t off = 0; off < 64; ++off) {
      const uint32_t init = static_cast<uint32_t>(rng());
      CHECK_EQ(Crc32cClmul(init, base + off, len), Crc32cPortable(init, base + off, len));
    }
  }
}

// Inputs where a wrong fold constant could cancel out on random bytes in a few cases but
// not all: long runs of zeros and ones, and a single set bit at every position of the first
// and last blocks (each bit exercises one column of the folding multiplies).
TEST(clmul_matches_portable_on_sparse_and_constant_inputs) {
  if (!sluice::Crc32cHasClmul()) SKIP("CPU has no AVX-512 VPCLMULQDQ (or the OS disabled AVX-512)");
  for (uint8_t fill : {0x00, 0xFF}) {
    const std::vector<uint8_t> v(100000, fill);
    for (size_t len : {320, 1024, 4096, 100000}) {
      CHECK_EQ(Crc32cClmul(0, v.data(), len), Crc32cPortable(0, v.data(), len));
      CHECK_EQ(Crc32cClmul(~0u, v.data(), len), Crc32cPortable(~0u, v.data(), len));
    }
  }
  std::vector<uint8_t> v(4096, 0);
  for (size_t bit = 0; bit < 8 * 512; ++bit) {
    for (size_t at : {bit, 8 * v.size() - 1 - bit}) {
      v[at / 8] = static_cast<uint8_t>(1u << (at % 8));
      CHECK_EQ(Crc32cClmul(0, v.data(), v.size()), Crc32cPortable(0, v.data(), v.size()));
      v[at / 8] = 0;
    }
  }
}

TEST(clmul_matches_portable_on_large_random_lengths) {
  if (!sluice::Crc32cHasClmul()) SKIP("CPU has no AVX-512 VPCLMULQDQ (or the OS disabled AVX-512)");
  std::mt19937 rng(6);
  std::vector<uint8_t> v((4 << 20) + 64);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  for (size_t len : {110000, 1 << 20, (4 << 20) - 1}) {
    CHECK_EQ(Crc32cClmul(0, v.data() + 1, len), Crc32cPortable(0, v.data() + 1, len));
  }
  for (int i = 0; i < 40; ++i) {
    const size_t len = rng() % (4 << 20);
    const size_t off = rng() % 64;
    const uint32_t init = static_cast<uint32_t>(rng());
    CHECK_EQ(Crc32cClmul(init, v.data() + off, len), Crc32cPortable(init, v.data() + off, len));
  }
}

TEST(clmul_continuing_from_a_previous_crc_equals_one_pass) {
  if (!sluice::Crc32cHasClmul()) SKIP("CPU has no AVX-512 VPCLMULQDQ (or the OS disabled AVX-512)");
  std::mt19937 rng(7);
  std::vector<uint8_t> v(300000);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  for (int i = 0; i < 200; ++i) {
    const size_t len = i < 100 ? rng() % 5000 : rng() % v.size();
    const size_t start = rng() % (v.size() - len + 1);
    const uint8_t* p = v.data() + start;
    const uint32_t whole = Crc32cPortable(0, p, len);
    CHECK_EQ(Crc32cClmul(0, p, len), whole);
    // Two and three pieces, so both sides of a split may take either path.
    const size_t a = len == 0 ? 0 : rng() % (len + 1);
    const size_t b = a + (len == a ? 0 : rng() % (len - a + 1));
    CHECK_EQ(Crc32cClmul(Crc32cClmul(0, p, a), p + a, len - a), whole);
    CHECK_EQ(Crc32cClmul(Crc32cClmul(Crc32cClmul(0, p, a), p + a, b - a), p + b, len - b), whole);
  }
}

TEST(implementation_names_the_fastest_path_unless_capped) {
  const char* force = std::getenv("SLUICE_CRC32C");
  const char* name = sluice::Crc32cImplementation();
  if (force != nullptr && std::strcmp(force, "portable") == 0) {
    CHECK_EQ(name, "portable");
  } else if (sluice::Crc32cHasClmul() && (force == nullptr || std::strcmp(force, "sse4.2") != 0)) {
    CHECK_EQ(name, "vpclmulqdq");
  } else if (sluice::Crc32cHasSse42()) {
    CHECK_EQ(name, "sse4.2");
  } else {
    CHECK_EQ(name, "portable");
  }
}

TEST(one_mebibyte_random_buffer_agrees_across_paths) {
  std::mt19937 rng(4);
  std::vector<uint8_t> v((1 << 20) + 13);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  const uint32_t portable = Crc32cPortable(0, v.data() + 5, v.size() - 5);
  CHECK_EQ(Crc32c(0, v.data() + 5, v.size() - 5), portable);
  if (sluice::Crc32cHasClmul()) CHECK_EQ(Crc32cClmul(0, v.data() + 5, v.size() - 5), portable);
  CHECK_EQ(Reference(v.data() + 5, v.size() - 5), portable);
}

TEST_MAIN("crc32c")
