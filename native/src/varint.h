// Kafka's varints (record format v2, flexible protocol versions): protobuf base-128 groups,
// least significant first, high bit = "more"; signed values zigzag-encoded. The one decoder of
// them in native/: record_validator.cc's parsers use these, the checked one for whole varints
// inside its window and a byte loop only where a varint straddles a window refill.
//
//   varint   int32, at most 5 bytes     varlong  int64, at most 10 bytes
//   zigzag   (n << 1) ^ (n >> 31|63):   0 → 0, -1 → 1, 1 → 2, -2 → 3, ...
#pragma once

#include <cstddef>
#include <cstdint>

namespace sluice {

constexpr size_t kMaxVarintBytes = 5;
constexpr size_t kMaxVarlongBytes = 10;

// Varint decode of at most 5 / 10 bytes (bits past 32 / 64 dropped, as Kafka's ByteUtils);
// nullptr when longer. Unchecked: the caller makes sure p[0, 5) / p[0, 10) may be read. One- and two-byte
// varints (the lengths and deltas of most records) return early.
inline const uint8_t* RawVarint32(const uint8_t* p, uint32_t* out) {
  uint32_t b = p[0];
  if (__builtin_expect(b < 0x80, 1)) {
    *out = b;
    return p + 1;
  }
  uint32_t v = b & 0x7fu;
  b = p[1];
  v |= b << 7;
  if (b < 0x80) {
    *out = v;
    return p + 2;
  }
  v &= 0x3fffu;
  b = p[2];
  v |= b << 14;
  if (b < 0x80) {
    *out = v;
    return p + 3;
  }
  v &= 0x1fffffu;
  b = p[3];
  v |= b << 21;
  if (b < 0x80) {
    *out = v;
    return p + 4;
  }
  v &= 0xfffffffu;
  b = p[4];
  v |= b << 28;
  if (b < 0x80) {
    *out = v;
    return p + 5;
  }
  return nullptr;
}

inline const uint8_t* RawVarint64(const uint8_t* p, uint64_t* out) {
  uint64_t b = p[0];
  if (__builtin_expect(b < 0x80, 1)) {
    *out = b;
    return p + 1;
  }
  uint64_t v = b & 0x7fu;
  for (int i = 1; i < 10; ++i) {
    b = p[i];
    v |= (b & 0x7fu) << (7 * i);
    if (b < 0x80) {
      *out = v;
      return p + i + 1;
    }
  }
  return nullptr;
}

inline int32_t Zigzag32(uint32_t v) { return static_cast<int32_t>((v >> 1) ^ (0u - (v & 1))); }
inline int64_t Zigzag64(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (uint64_t{0} - (v & 1))); }

}  // namespace sluice
