// libFuzzer target: the batch scanner (batch_scan.cc) and in-place stamping on arbitrary bytes.
//
// Input: one flags byte, then the bytes to scan. Most random bytes fail the CRC at once, so
// with flag bit 0 the target first recomputes the CRC-32C of every batch whose claimed length
// fits, letting mutations reach the header checks behind it (offsets, counts, lengths).
//
// Properties (beyond ASan/UBSan): the scan stays inside its input; what it accepts is a prefix
// of whole batches whose sizes add up to valid_bytes; that prefix rescans clean; skipping the
// CRC accepts at least as much; StampBatches accepts exactly that prefix, assigns contiguous
// offsets, writes nothing past it, and a CRC-verified prefix still verifies after stamping.
// With record validation (flag bits 6-7, once record_validator.h exists) the scan accepts no
// more than framing alone.
#include <cstdint>
#include <cstring>
#include <vector>

#include "batch_format.h"
#include "crc32c.h"
#include "fuzz_check.h"

using namespace sluice;

namespace {

void FixCrcs(std::vector<uint8_t>* data) {
  size_t pos = 0;
  while (data->size() - pos >= kBatchHeaderBytes) {
    uint8_t* p = data->data() + pos;
    const int32_t length = static_cast<int32_t>(LoadBe32(p + kLengthOffset));
    if (length < kMinBatchLength) return;
    const uint64_t size = static_cast<uint64_t>(length) + kLogOverhead;
    if (size > data->size() - pos) return;
    StoreBe32(p + kCrcOffset, Crc32c(0, p + kAttributesOffset, size - kAttributesOffset));
    pos += size;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = input[0];
  // An exact-size heap copy, so ASan sees any read past the end.
  std::vector<uint8_t> data(input + 1, input + size);
  if (flags & 1) FixCrcs(&data);

  ScanOptions options;
  options.verify_crc = (flags & 2) == 0;
  options.require_increasing_offsets = (flags & 4) != 0;
  if (flags & 8) options.max_batch_bytes = 61 + (flags >> 4) * 64;
#ifdef SLUICE_HAVE_VALIDATOR
  // Bits 6-7: validate the records too, under the client's or the stored-batch rules.
  ValidateOptions validate;
  validate.max_uncompressed_bytes = 1 << 20;
  validate.from_client = (flags & 0x80) == 0;
  if (flags & 0x40) options.validate = &validate;
#endif

  std::vector<BatchHeader> headers;
  const ScanResult r = ScanBatches(data.data(), data.size(), options, &headers, 1000);
  FUZZ_CHECK(r.valid_bytes <= data.size());
  FUZZ_CHECK(r.count == headers.size());
  FUZZ_CHECK((r.error == ScanError::kNone) == (r.valid_bytes == data.size()));
  FUZZ_CHECK(r.error_position == r.valid_bytes);
  uint64_t pos = 1000;
  for (const BatchHeader& h : headers) {
    FUZZ_CHECK(h.position == pos);
    FUZZ_CHECK(h.size >= kBatchHeaderBytes && h.size <= options.max_batch_bytes);
    FUZZ_CHECK(h.last_offset_delta >= 0 && h.base_offset >= 0 && h.last_offset() <= kMaxSafeInteger);
    FUZZ_CHECK(h.record_count >= 0 && h.record_count <= int64_t{h.last_offset_delta} + 1);
    pos += h.size;
  }
  FUZZ_CHECK(pos - 1000 == r.valid_bytes);

  const ScanResult again = ScanBatches(data.data(), r.valid_bytes, options, nullptr);
  FUZZ_CHECK(again.error == ScanError::kNone && again.count == r.count);

#ifdef SLUICE_HAVE_VALIDATOR
  if (options.validate != nullptr) {
    ScanOptions framing_only = options;
    framing_only.validate = nullptr;
    FUZZ_CHECK(ScanBatches(data.data(), data.size(), framing_only, nullptr).valid_bytes >= r.valid_bytes);
  }
#endif
  if (options.verify_crc) {
    ScanOptions no_crc = options;
    no_crc.verify_crc = false;
    FUZZ_CHECK(ScanBatches(data.data(), data.size(), no_crc, nullptr).valid_bytes >= r.valid_bytes);
  }

  // Stamping: the valid prefix, in a copy of its exact size.
  std::vector<uint8_t> stamped(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(r.valid_bytes));
  const int64_t first_offset = (flags & 0x10) ? 0 : 1234567;
  const int64_t append_time = (flags & 0x20) ? 1700000000000 : -1;
  int64_t next = -1;
  const Status s = StampBatches(stamped.data(), stamped.size(), first_offset, append_time, 7, &next);
  FUZZ_CHECK(s.ok());
  int64_t expect = first_offset;
  for (const BatchHeader& h : headers) expect += int64_t{h.last_offset_delta} + 1;
  FUZZ_CHECK(next == expect);
  if (options.verify_crc) {
    const ScanResult after = ScanBatches(stamped.data(), stamped.size(), options, nullptr);
    FUZZ_CHECK(after.error == ScanError::kNone && after.count == r.count);
  }
  // Stamping the whole input must either succeed or leave it untouched.
  std::vector<uint8_t> whole = data;
  if (!StampBatches(whole.data(), whole.size(), 0, append_time, -1, &next).ok()) FUZZ_CHECK(whole == data);
  return 0;
}
