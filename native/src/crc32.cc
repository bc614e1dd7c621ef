// CRC-32 IEEE with slicing-by-8 tables: legacy message sets are rare and small, so a portable
// path at ~2 GB/s is plenty and keeps the C++ unit tests free of a zlib dependency.
#include "crc32.h"

#include "crc_slicing.h"

namespace sluice {
namespace {

constexpr uint32_t kCrc32Poly = 0xEDB88320u;
constexpr crc_internal::SliceTables kTables = crc_internal::MakeSliceTables(kCrc32Poly);

}  // namespace

uint32_t Crc32(uint32_t crc, const uint8_t* p, size_t n) {
  return ~crc_internal::SliceBy8(kTables, ~crc, p, n);
}

}  // namespace sluice
