// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib and java.util.zip.CRC32),
// the checksum of legacy (magic 0 and 1) Kafka messages.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sluice {

// CRC-32 of p[0, n), continuing from `crc` (0 to start).
uint32_t Crc32(uint32_t crc, const uint8_t* p, size_t n);

}  // namespace sluice
