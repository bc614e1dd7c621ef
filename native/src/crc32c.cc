// CRC-32C, two implementations chosen once at load time.
//
// Portable: slicing-by-8 tables (crc_slicing.h), ~2-3 GB/s.
//
// SSE4.2: the crc32 instruction has a latency of 3 cycles and a throughput of one per cycle,
// so a single dependency chain uses a third of the unit. Following Mark Adler's crc32c.c,
// large inputs are cut into three equal blocks whose CRCs are computed in three interleaved,
// independent chains; the three partial CRCs are then joined with "shift" tables: the CRC of
// A followed by B equals shift(crc(A), |B|) ^ crc(B) when B's chain starts from 0, where
// shift(c, n) is the register after feeding n zero bytes, a linear map over GF(2) that we
// tabulate (4 x 256 entries) for each block size used.
#include "crc32c.h"

#include <cstdlib>
#include <cstring>

#include "crc_slicing.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SLUICE_CRC32C_X86 1
#include <nmmintrin.h>
#endif

namespace sluice {
namespace {

constexpr uint32_t kCrc32cPoly = 0x82F63B78u;
constexpr crc_internal::SliceTables kSliceTables = crc_internal::MakeSliceTables(kCrc32cPoly);

// Block sizes of the three-chain loops: kLongBlock for big inputs (amortises the join), then
// kShortBlock for what remains. Both powers of two (ZerosOperator relies on it).
constexpr size_t kLongBlock = 8192;
constexpr size_t kShortBlock = 256;

using Gf2Matrix = std::array<uint32_t, 32>;  // column n = image of bit n
using ShiftTables = std::array<std::array<uint32_t, 256>, 4>;

constexpr uint32_t Gf2Times(const Gf2Matrix& mat, uint32_t vec) {
  uint32_t sum = 0;
  for (size_t i = 0; vec != 0; ++i, vec >>= 1) {
    if (vec & 1) sum ^= mat[i];
  }
  return sum;
}

constexpr Gf2Matrix Gf2Square(const Gf2Matrix& mat) {
  Gf2Matrix sq{};
  for (size_t n = 0; n < 32; ++n) sq[n] = Gf2Times(mat, mat[n]);
  return sq;
}

// The linear map "feed `len` zero bytes" (len a power of two) on the raw CRC register.
constexpr Gf2Matrix ZerosOperator(size_t len) {
  Gf2Matrix op{};  // one zero bit
  op[0] = kCrc32cPoly;
  for (size_t n = 1; n < 32; ++n) op[n] = uint32_t{1} << (n - 1);
  for (int i = 0; i < 3; ++i) op = Gf2Square(op);  // 2, 4, then 8 bits: one zero byte
  for (; len > 1; len >>= 1) op = Gf2Square(op);
  return op;
}

constexpr ShiftTables MakeShiftTables(size_t len) {
  Gf2Matrix op = ZerosOperator(len);
  ShiftTables t{};
  for (uint32_t n = 0; n < 256; ++n) {
    for (int k = 0; k < 4; ++k) t[k][n] = Gf2Times(op, n << (8 * k));
  }
  return t;
}

static_assert((kLongBlock & (kLongBlock - 1)) == 0 && (kShortBlock & (kShortBlock - 1)) == 0,
              "block sizes must be powers of two");

[[maybe_unused]] constexpr ShiftTables kLongShift = MakeShiftTables(kLongBlock);
[[maybe_unused]] constexpr ShiftTables kShortShift = MakeShiftTables(kShortBlock);

[[maybe_unused]] inline uint32_t Shift(const ShiftTables& t, uint32_t crc) {
  return t[0][crc & 0xff] ^ t[1][(crc >> 8) & 0xff] ^ t[2][(crc >> 16) & 0xff] ^ t[3][crc >> 24];
}

bool DetectSse42() {
#ifdef SLUICE_CRC32C_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
#else
  return false;
#endif
}

bool ChooseSse42() {
  if (!DetectSse42()) return false;
  const char* force = std::getenv("SLUICE_CRC32C");
  return force == nullptr || std::strcmp(force, "portable") != 0;
}

const bool kHasSse42 = DetectSse42();
const bool kUseSse42 = ChooseSse42();

}  // namespace

uint32_t Crc32cPortable(uint32_t crc, const uint8_t* p, size_t n) {
  return ~crc_internal::SliceBy8(kSliceTables, ~crc, p, n);
}

#ifdef SLUICE_CRC32C_X86

namespace {

__attribute__((target("sse4.2"))) inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Three chains over [p, p + 3*block): returns the raw CRC of the whole range continuing
// from crc0.
template <size_t kBlock>
__attribute__((target("sse4.2"))) inline uint64_t ThreeChains(uint64_t crc0, const uint8_t* p,
                                                              const ShiftTables& shift) {
  uint64_t crc1 = 0;
  uint64_t crc2 = 0;
  const uint8_t* end = p + kBlock;
  do {
    crc0 = _mm_crc32_u64(crc0, Load64(p));
    crc1 = _mm_crc32_u64(crc1, Load64(p + kBlock));
    crc2 = _mm_crc32_u64(crc2, Load64(p + 2 * kBlock));
    p += 8;
  } while (p < end);
  crc0 = Shift(shift, static_cast<uint32_t>(crc0)) ^ crc1;
  crc0 = Shift(shift, static_cast<uint32_t>(crc0)) ^ crc2;
  return crc0;
}

}  // namespace

__attribute__((target("sse4.2"))) uint32_t Crc32cSse42(uint32_t crc, const uint8_t* p, size_t n) {
  uint64_t crc0 = ~crc;
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    crc0 = _mm_crc32_u8(static_cast<uint32_t>(crc0), *p++);
    --n;
  }
  while (n >= 3 * kLongBlock) {
    crc0 = ThreeChains<kLongBlock>(crc0, p, kLongShift);
    p += 3 * kLongBlock;
    n -= 3 * kLongBlock;
  }
  while (n >= 3 * kShortBlock) {
    crc0 = ThreeChains<kShortBlock>(crc0, p, kShortShift);
    p += 3 * kShortBlock;
    n -= 3 * kShortBlock;
  }
  while (n >= 8) {
    crc0 = _mm_crc32_u64(crc0, Load64(p));
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc0 = _mm_crc32_u8(static_cast<uint32_t>(crc0), *p++);
    --n;
  }
  return ~static_cast<uint32_t>(crc0);
}

#else  // !SLUICE_CRC32C_X86

uint32_t Crc32cSse42(uint32_t crc, const uint8_t* p, size_t n) { return Crc32cPortable(crc, p, n); }

#endif

uint32_t Crc32c(uint32_t crc, const uint8_t* p, size_t n) {
  return kUseSse42 ? Crc32cSse42(crc, p, n) : Crc32cPortable(crc, p, n);
}

bool Crc32cHasSse42() { return kHasSse42; }

const char* Crc32cImplementation() { return kUseSse42 ? "sse4.2" : "portable"; }

}  // namespace sluice
