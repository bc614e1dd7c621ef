// libFuzzer target: segment recovery on a `.log` file of arbitrary bytes — the file scan that
// recovery runs after an unclean stop (ScanFile, chunked preads), the truncation to its valid
// prefix, and the reads that follow (WalkBatchHeaders, ReadWholeBatches).
//
// Input: one flags byte (bit 0: recompute every batch's CRC first, as in fuzz_batch_scan.cc;
// bit 1: skip CRC checks; bit 2: skip record validation, which recovery runs once
// record_validator.h exists), then the file's bytes, written to a memfd.
//
// Properties: the file scan agrees with the in-memory scanner (same valid prefix, batch count
// and error, but for one naming difference explained below); after truncating to the valid prefix, as
// recovery does, a rescan finds no error and the same batches; a header walk never reports corruption inside
// the valid prefix; a read of the recovered file returns whole batches only and, with CRC checks, all of
// them.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "batch_format.h"
#include "crc32c.h"
#include "fs_ops.h"
#include "fuzz_check.h"
#include "segment_file.h"

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

// One memfd for the whole run: no file system traffic per input.
int SegmentFd() {
  static const int fd = memfd_create("fuzz-segment.log", MFD_CLOEXEC);
  FUZZ_CHECK(fd >= 0);
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = input[0];
  std::vector<uint8_t> data(input + 1, input + size);
  if (flags & 1) FixCrcs(&data);
  const std::string path = "fuzz-segment.log";
  const int fd = SegmentFd();
  FUZZ_CHECK(Ftruncate(fd, 0, path).ok());
  if (!data.empty()) FUZZ_CHECK(PwriteFully(fd, data.data(), data.size(), 0, path).ok());

  ScanOptions options;
  options.verify_crc = (flags & 2) == 0;
#ifdef SLUICE_HAVE_VALIDATOR
  // Bit 2 off: validate the records as recovery does (stored-batch rules).
  ValidateOptions validate;
  validate.from_client = false;
  validate.max_uncompressed_bytes = 1 << 20;
  if ((flags & 4) == 0) options.validate = &validate;
#endif
  FileScan scan;
  FUZZ_CHECK(ScanFile(fd, path, 0, data.size(), options, &scan).ok());

  ScanOptions in_memory = options;
  in_memory.require_increasing_offsets = true;
  const ScanResult expect = ScanBatches(data.data(), data.size(), in_memory, nullptr);
  FUZZ_CHECK(scan.valid_end == expect.valid_bytes);
  FUZZ_CHECK(scan.headers.size() == expect.count);
  // The file scan checks offset order across its chunks after scanning each chunk, so a
  // batch both out of order and with invalid records is named by its records there (same
  // position, same truncation).
  const bool both_wrong = scan.error == ScanError::kBadRecords && expect.error == ScanError::kBadOffsets;
  FUZZ_CHECK(scan.error == expect.error || both_wrong);

  // Recovery truncates a torn or corrupt tail; the rest must then scan clean.
  FUZZ_CHECK(Ftruncate(fd, scan.valid_end, path).ok());
  FileScan after;
  size_t visited = 0;
  FUZZ_CHECK(ScanFile(fd, path, 0, scan.valid_end, options, &after, [&](const BatchHeader& h) {
               FUZZ_CHECK(visited < scan.headers.size() && h.position == scan.headers[visited].position);
               visited++;
             }).ok());
  FUZZ_CHECK(after.error == ScanError::kNone && after.valid_end == scan.valid_end);
  FUZZ_CHECK(visited == scan.headers.size());

  HeaderWalk walk;
  size_t walked = 0;
  FUZZ_CHECK(WalkBatchHeaders(
                 fd, path, 0, scan.valid_end, scan.valid_end,
                 [&](const BatchHeader&) {
                   walked++;
                   return false;
                 },
                 &walk)
                 .ok());
  FUZZ_CHECK(!walk.found && walk.error == ScanError::kNone && walked == scan.headers.size());

  // A fetch-style read of the recovered file: whole batches, exact-size destination.
  if (scan.valid_end > 0) {
    std::vector<uint8_t> dst(scan.valid_end);
    BatchRead read;
    FUZZ_CHECK(ReadWholeBatches(fd, path, 0, scan.valid_end, dst.size(), true, options.verify_crc, dst.data(),
                                dst.size(), &read)
                   .ok());
    FUZZ_CHECK(read.error == ScanError::kNone);
    FUZZ_CHECK(read.bytes == scan.valid_end);
    FUZZ_CHECK(std::equal(dst.begin(), dst.end(), data.begin()));
    FUZZ_CHECK(read.next_offset == scan.headers.back().last_offset() + 1);
  }
  return 0;
}
