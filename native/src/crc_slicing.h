// Table-driven slicing-by-8 for reflected CRC-32 polynomials, shared by CRC-32C (crc32c.cc)
// and CRC-32 IEEE (crc32.cc). Tables are built at compile time so there is no init order
// to get wrong and no first-call cost.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sluice {
namespace crc_internal {

using SliceTables = std::array<std::array<uint32_t, 256>, 8>;

// tables[0] is the classic byte table; tables[k][b] is the CRC of byte b followed by k zero
// bytes, which lets one step consume 8 input bytes with 8 independent lookups.
constexpr SliceTables MakeSliceTables(uint32_t reflected_poly) {
  SliceTables t{};
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t crc = n;
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ reflected_poly : crc >> 1;
    t[0][n] = crc;
  }
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t crc = t[0][n];
    for (size_t k = 1; k < 8; ++k) {
      crc = t[0][crc & 0xff] ^ (crc >> 8);
      t[k][n] = crc;
    }
  }
  return t;
}

inline uint64_t LoadLe64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

// Raw (unconditioned) CRC update: callers apply the ~crc pre/post conditioning.
inline uint32_t SliceBy8(const SliceTables& t, uint32_t crc, const uint8_t* p, size_t n) {
  // Byte steps until p is 8-aligned so the wide loads below never straddle a cache line.
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    --n;
  }
  while (n >= 8) {
    uint64_t word = LoadLe64(p) ^ crc;
    crc = t[7][word & 0xff] ^ t[6][(word >> 8) & 0xff] ^ t[5][(word >> 16) & 0xff] ^
          t[4][(word >> 24) & 0xff] ^ t[3][(word >> 32) & 0xff] ^ t[2][(word >> 40) & 0xff] ^
          t[1][(word >> 48) & 0xff] ^ t[0][word >> 56];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    --n;
  }
  return crc;
}

}  // namespace crc_internal
}  // namespace sluice
