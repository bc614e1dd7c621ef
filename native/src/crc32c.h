// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka record
// batches (magic 2). Crc32c picks the SSE4.2 instruction path at load time when the CPU has
// it and falls back to a table-driven path otherwise; both give identical results.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sluice {

// CRC-32C of p[0, n), continuing from `crc` (0 to start). Crc32c(Crc32c(0, a), b) equals the
// CRC of a followed by b.
uint32_t Crc32c(uint32_t crc, const uint8_t* p, size_t n);

// The portable slicing-by-8 implementation, for tests and benchmarks that compare paths.
uint32_t Crc32cPortable(uint32_t crc, const uint8_t* p, size_t n);

// The SSE4.2 implementation. Only call when Crc32cHasSse42() is true.
uint32_t Crc32cSse42(uint32_t crc, const uint8_t* p, size_t n);

// Whether the CPU supports SSE4.2 (and the build targets x86-64).
bool Crc32cHasSse42();

// "sse4.2" or "portable": which path Crc32c takes. SLUICE_CRC32C=portable in the environment
// forces the portable path (to exercise it on machines that have SSE4.2).
const char* Crc32cImplementation();

}  // namespace sluice
