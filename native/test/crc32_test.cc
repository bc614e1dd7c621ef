// CRC-32 IEEE (legacy message sets): known vectors and agreement with a bitwise reference.
#include "crc32.h"

#include <random>
#include <string>
#include <vector>

#include "check.h"

using sluice::Crc32;

namespace {

uint32_t Reference(const uint8_t* p, size_t n) {
  uint32_t crc = ~0u;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
  }
  return ~crc;
}

uint32_t Of(const std::string& s) { return Crc32(0, reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

}  // namespace

TEST(check_string_123456789_is_cbf43926) { CHECK_EQ(Of("123456789"), 0xCBF43926u); }

TEST(empty_input_is_zero) { CHECK_EQ(Of(""), 0u); }

TEST(quick_brown_fox_matches_zlib) {
  CHECK_EQ(Of("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
}

TEST(matches_bitwise_reference_on_random_buffers) {
  std::mt19937 rng(5);
  std::vector<uint8_t> v(70000);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  for (size_t len = 0; len < 700; ++len) {
    const size_t off = rng() % 16;
    CHECK_EQ(Crc32(0, v.data() + off, len), Reference(v.data() + off, len));
  }
  CHECK_EQ(Crc32(0, v.data() + 3, v.size() - 3), Reference(v.data() + 3, v.size() - 3));
}

TEST(continuing_from_a_previous_crc_equals_one_pass) {
  const std::string s = "hello, legacy message set";
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  for (size_t split = 0; split <= s.size(); ++split) {
    CHECK_EQ(Crc32(Crc32(0, p, split), p + split, s.size() - split), Of(s));
  }
}

TEST_MAIN("crc32")
