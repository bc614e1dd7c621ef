// CRC-32C, three implementations chosen once at load time.
//
// Portable: slicing-by-8 tables (crc_slicing.h), ~2-3 GB/s.
//
// SSE4.2: the crc32 instruction has a latency of 3 cycles and a throughput of one per cycle,
// so a single dependency chain uses a third of the unit. Following Mark Adler's crc32c.c,
// large inputs are cut into three equal blocks whose CRCs are computed in three interleaved,
// independent chains; the three partial CRCs are then joined with "shift" tables: the CRC of
// A followed by B equals shift(crc(A), |B|) ^ crc(B) when B's chain starts from 0, where
// shift(c, n) is the register after feeding n zero bytes, a linear map over GF(2) that we
// tabulate (4 x 256 entries) for each block size used. That is bound at 8 bytes per cycle.
//
// VPCLMULQDQ folding (AVX-512): the raw CRC only depends on the message polynomial modulo P,
// so a 128-bit block A that lies D bits before block B can be replaced by
// A_high * (x^(D+64) mod P) + A_low * (x^D mod P), where A_high and A_low are A's high- and
// low-order 64 terms: two carry-less multiplies whose 96-bit result is XORed into B. One
// 512-bit instruction does that for four blocks, and four independent accumulators hide its
// latency: on Zen 4 this runs at about twice the bytes per cycle of the three crc32 chains
// (53 vs 26 GB/s on 1 MiB). At the end the single 128-bit remainder is itself a
// 16-byte message with the same CRC, which two crc32 instructions reduce (no Barrett step).
#include "crc32c.h"

#include <cstdlib>
#include <cstring>

#include "crc_slicing.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SLUICE_CRC32C_X86 1
#include <immintrin.h>
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

// Which path Crc32c takes; later ones need more of the CPU, so a forced choice can cap it.
enum class Path { kPortable, kSse42, kClmul };

struct Cpu {
  bool sse42 = false;
  bool clmul = false;
};

Cpu DetectCpu() {
  Cpu cpu;
#ifdef SLUICE_CRC32C_X86
  __builtin_cpu_init();
  cpu.sse42 = __builtin_cpu_supports("sse4.2");
  // Folding is only worth it 512 bits at a time: with 128-bit PCLMULQDQ alone a Zen 4 core
  // does about half the bytes per cycle of the three crc32 chains, so there is no such path.
  // libgcc sets avx512f only when XCR0 shows that the OS saves the ZMM state, so a kernel
  // that turned AVX-512 off keeps us on the SSE4.2 path instead of faulting. The crc32
  // instruction finishes the folded remainder and handles short inputs.
  cpu.clmul = cpu.sse42 && __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("avx512f") &&
              __builtin_cpu_supports("vpclmulqdq");
#endif
  return cpu;
}

Path ChoosePath(const Cpu& cpu) {
  const Path best = cpu.clmul ? Path::kClmul : cpu.sse42 ? Path::kSse42 : Path::kPortable;
  // SLUICE_CRC32C caps the path, to exercise or benchmark the older ones on a newer CPU; a
  // cap above what the CPU has, or an unknown value, leaves the best path.
  const char* force = std::getenv("SLUICE_CRC32C");
  Path cap = best;
  if (force != nullptr && std::strcmp(force, "portable") == 0) cap = Path::kPortable;
  if (force != nullptr && std::strcmp(force, "sse4.2") == 0) cap = Path::kSse42;
  return cap < best ? cap : best;
}

const Cpu kCpu = DetectCpu();
const Path kPath = ChoosePath(kCpu);

// Folding needs 256 bytes for its four accumulators after up to 63 bytes that align them.
// Measured on Zen 4, it is already faster than the three crc32 chains at that size (10 vs
// 8 GB/s at 320 bytes, 21 vs 9 at 768), so there is no higher threshold.
[[maybe_unused]] constexpr size_t kClmulMinBytes = 256 + 64;

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

// Feeds bytes to the crc32 instruction until p is kAlign-aligned (or n runs out), so the
// vector loads that follow never straddle a cache line.
template <uintptr_t kAlign>
__attribute__((target("sse4.2"))) inline uint64_t AlignHead(uint64_t crc0, const uint8_t*& p, size_t& n) {
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    crc0 = _mm_crc32_u8(static_cast<uint32_t>(crc0), *p++);
    --n;
  }
  while (n >= 8 && (reinterpret_cast<uintptr_t>(p) & (kAlign - 1)) != 0) {
    crc0 = _mm_crc32_u64(crc0, Load64(p));
    p += 8;
    n -= 8;
  }
  return crc0;
}

__attribute__((target("sse4.2"))) inline uint64_t Tail(uint64_t crc0, const uint8_t* p, size_t n) {
  for (; n >= 8; p += 8, n -= 8) crc0 = _mm_crc32_u64(crc0, Load64(p));
  for (; n > 0; --n) crc0 = _mm_crc32_u8(static_cast<uint32_t>(crc0), *p++);
  return crc0;
}

// x^n mod P in the CRC register's reflected layout (x^i is bit 31 - i).
constexpr uint32_t XPowModP(uint32_t n) {
  uint32_t v = 0x80000000u;  // x^0
  for (; n > 0; --n) v = (v & 1) ? (v >> 1) ^ kCrc32cPoly : v >> 1;
  return v;
}
static_assert(XPowModP(31) == 1u, "x^31 is bit 0 of the reflected register");
static_assert(XPowModP(32) == kCrc32cPoly, "x^32 mod P is P without its x^32 term");

// Multipliers that move a 128-bit block D bits towards the end of the message. Loaded
// little-endian, the block's low qword holds its 64 high-order terms (weight x^(D+64) once
// moved) and the high qword the low-order ones (weight x^D). Both exponents are 33 lower than
// that: a 32-bit constant in a 64-bit lane stands for k * x^32 in the reflected layout, and
// the 127-bit carry-less product of two reflected qwords lands one bit low in the 128-bit
// block, i.e. multiplied by x.
template <uint32_t kBits>
constexpr uint64_t kFoldHigh = XPowModP(kBits + 64 - 33);
template <uint32_t kBits>
constexpr uint64_t kFoldLow = XPowModP(kBits - 33);

template <uint32_t kBits>
__attribute__((target("pclmul,sse4.2"))) inline __m128i FoldConst128() {
  return _mm_set_epi64x(static_cast<long long>(kFoldLow<kBits>), static_cast<long long>(kFoldHigh<kBits>));
}

// a moved by the distance k was made for, plus the block it lands on.
__attribute__((target("pclmul,sse4.2"))) inline __m128i Fold128(__m128i a, __m128i k, __m128i onto) {
  // onto first: it is ready early, so only one XOR follows the multiplies.
  return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(a, k, 0x00), onto),
                       _mm_clmulepi64_si128(a, k, 0x11));
}

// The raw CRC register after a message whose folded remainder is x: x is itself a 16-byte
// message congruent to it modulo P, so the crc32 instruction finishes the reduction.
__attribute__((target("pclmul,sse4.2"))) inline uint64_t CrcOfRemainder(__m128i x) {
  const uint64_t lo = static_cast<uint64_t>(_mm_cvtsi128_si64(x));
  const uint64_t hi = static_cast<uint64_t>(_mm_extract_epi64(x, 1));
  return _mm_crc32_u64(_mm_crc32_u64(0, lo), hi);
}

}  // namespace

__attribute__((target("sse4.2"))) uint32_t Crc32cSse42(uint32_t crc, const uint8_t* p, size_t n) {
  uint64_t crc0 = AlignHead<8>(~crc, p, n);
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
  return ~static_cast<uint32_t>(Tail(crc0, p, n));
}

namespace {

// (Built with set rather than broadcast: GCC 12's broadcast and extract intrinsics trip
// -Wmaybe-uninitialized on their internal "undefined" operand.)
template <uint32_t kBits>
__attribute__((target("avx512f,vpclmulqdq,pclmul,sse4.2"))) inline __m512i FoldConst512() {
  constexpr long long kHigh = kFoldHigh<kBits>;
  constexpr long long kLow = kFoldLow<kBits>;
  return _mm512_set_epi64(kLow, kHigh, kLow, kHigh, kLow, kHigh, kLow, kHigh);
}

// Fold128 on each of the four 128-bit lanes.
__attribute__((target("avx512f,vpclmulqdq,pclmul,sse4.2"))) inline __m512i Fold512(__m512i a, __m512i k,
                                                                                   __m512i onto) {
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(a, k, 0x00), _mm512_clmulepi64_epi128(a, k, 0x11),
                                   onto, 0x96);
}

}  // namespace

__attribute__((target("avx512f,vpclmulqdq,pclmul,sse4.2"))) uint32_t Crc32cClmul(uint32_t crc,
                                                                                 const uint8_t* p, size_t n) {
  if (n < kClmulMinBytes) return Crc32cSse42(crc, p, n);
  uint64_t crc0 = AlignHead<64>(~crc, p, n);
  static_assert(kClmulMinBytes - 63 >= 256, "the first loads need 256 bytes");

  // Four 64-byte accumulators, each four 128-bit lanes: 16 blocks in flight.
  __m512i x0 = _mm512_load_si512(p);
  __m512i x1 = _mm512_load_si512(p + 64);
  __m512i x2 = _mm512_load_si512(p + 128);
  __m512i x3 = _mm512_load_si512(p + 192);
  x0 = _mm512_xor_si512(x0, _mm512_zextsi128_si512(_mm_cvtsi32_si128(static_cast<int>(crc0))));
  p += 256;
  n -= 256;

  const __m512i k2048 = FoldConst512<2048>();
  for (; n >= 256; p += 256, n -= 256) {
    x0 = Fold512(x0, k2048, _mm512_load_si512(p));
    x1 = Fold512(x1, k2048, _mm512_load_si512(p + 64));
    x2 = Fold512(x2, k2048, _mm512_load_si512(p + 128));
    x3 = Fold512(x3, k2048, _mm512_load_si512(p + 192));
  }

  const __m512i k1024 = FoldConst512<1024>();
  const __m512i k512 = FoldConst512<512>();
  x0 = Fold512(x0, k1024, x2);
  x1 = Fold512(x1, k1024, x3);
  x0 = Fold512(x0, k512, x1);
  for (; n >= 64; p += 64, n -= 64) x0 = Fold512(x0, k512, _mm512_load_si512(p));

  // Lane i moves (3 - i) * 128 bits onto lane 3, whose zero multiplier drops its own product
  // so that lane 3 itself can be added back unchanged; the remainder is the sum of the lanes.
  const __m512i lanes = _mm512_set_epi64(0, 0,                           //
                                         kFoldLow<128>, kFoldHigh<128>,  //
                                         kFoldLow<256>, kFoldHigh<256>,  //
                                         kFoldLow<384>, kFoldHigh<384>);
  alignas(64) uint64_t sum[8];
  _mm512_store_si512(sum, Fold512(x0, lanes, _mm512_maskz_mov_epi64(0xC0, x0)));
  const __m128i* s = reinterpret_cast<const __m128i*>(sum);
  __m128i r = _mm_xor_si128(_mm_xor_si128(_mm_load_si128(s), _mm_load_si128(s + 1)),
                            _mm_xor_si128(_mm_load_si128(s + 2), _mm_load_si128(s + 3)));
  const __m128i k128 = FoldConst128<128>();
  for (; n >= 16; p += 16, n -= 16) {
    r = Fold128(r, k128, _mm_load_si128(reinterpret_cast<const __m128i*>(p)));
  }
  return ~static_cast<uint32_t>(Tail(CrcOfRemainder(r), p, n));
}

#else  // !SLUICE_CRC32C_X86

uint32_t Crc32cSse42(uint32_t crc, const uint8_t* p, size_t n) { return Crc32cPortable(crc, p, n); }
uint32_t Crc32cClmul(uint32_t crc, const uint8_t* p, size_t n) { return Crc32cPortable(crc, p, n); }

#endif

uint32_t Crc32c(uint32_t crc, const uint8_t* p, size_t n) {
  switch (kPath) {
    case Path::kClmul: return Crc32cClmul(crc, p, n);
    case Path::kSse42: return Crc32cSse42(crc, p, n);
    case Path::kPortable: break;
  }
  return Crc32cPortable(crc, p, n);
}

bool Crc32cHasSse42() { return kCpu.sse42; }
bool Crc32cHasClmul() { return kCpu.clmul; }

const char* Crc32cImplementation() {
  switch (kPath) {
    case Path::kClmul: return "vpclmulqdq";
    case Path::kSse42: return "sse4.2";
    case Path::kPortable: break;
  }
  return "portable";
}

}  // namespace sluice
