// CRC-32C: known vectors (RFC 3720 §B.4) and agreement of the SSE4.2 and portable paths.
#include <random>
#include <vector>

#include "check.h"
#include "crc32c.h"

using sluice::Crc32c;
using sluice::Crc32cPortable;
using sluice::Crc32cSse42;

namespace {

uint32_t Both(const std::vector<uint8_t>& v) {
  const uint32_t portable = Crc32cPortable(0, v.data(), v.size());
  if (sluice::Crc32cHasSse42()) CHECK_EQ(Crc32cSse42(0, v.data(), v.size()), portable);
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
  const std::vector<uint8_t> pdu = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
      0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
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

TEST(one_mebibyte_random_buffer_agrees_across_paths) {
  std::mt19937 rng(4);
  std::vector<uint8_t> v((1 << 20) + 13);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  const uint32_t portable = Crc32cPortable(0, v.data() + 5, v.size() - 5);
  CHECK_EQ(Crc32c(0, v.data() + 5, v.size() - 5), portable);
  CHECK_EQ(Reference(v.data() + 5, v.size() - 5), portable);
}

TEST_MAIN("crc32c")
