// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka record
// batches (magic 2). Crc32c picks, once at load time, the fastest path the CPU has: carry-less
// multiply folding with AVX-512 VPCLMULQDQ, the SSE4.2 crc32 instruction, or a table-driven
// path. All give identical results.
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

// Carry-less multiply folding, 512 bits at a time (AVX-512 VPCLMULQDQ); inputs under 1 KiB
// go to Crc32cSse42. Only call when Crc32cHasClmul() is true.
uint32_t Crc32cClmul(uint32_t crc, const uint8_t* p, size_t n);

// Whether the CPU supports SSE4.2 (and the build targets x86-64).
bool Crc32cHasSse42();

// Whether the CPU supports VPCLMULQDQ, AVX-512F (with the OS saving its state), PCLMULQDQ
// and SSE4.2 (and the build targets x86-64).
bool Crc32cHasClmul();

// "vpclmulqdq", "sse4.2" or "portable": which path Crc32c takes. SLUICE_CRC32C=sse4.2 or
// SLUICE_CRC32C=portable in the environment caps it, to exercise or benchmark the older
// paths on a newer CPU (a path the CPU lacks is never taken).
const char* Crc32cImplementation();

}  // namespace sluice
