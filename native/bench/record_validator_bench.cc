// CPU cost of record validation per record (ns, CLOCK_THREAD_CPUTIME_ID, so a loaded machine
// does not inflate it), next to CRC-32C over the same batches: 8 batches of 1,000 records with
// a 10 B key and a 90 B value, uncompressed, lz4 and zstd. Best of 5 rounds.
// Build and run: node scripts/test-native.mjs (or npm run build:cmake), then
//   build-cmake/record_validator_bench
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "batch_format.h"
#include "codecs.h"
#include "crc32c.h"
#include "record_validator.h"

using namespace sluice;

namespace {

constexpr int kRecords = 1000;
constexpr int kPool = 8;

void PutVarlong(std::vector<uint8_t>* out, int64_t v) {
  uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (z >= 0x80) {
    out->push_back(static_cast<uint8_t>(z | 0x80));
    z >>= 7;
  }
  out->push_back(static_cast<uint8_t>(z));
}

double CpuNs() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

std::vector<uint8_t> MakeBatch(int codec, int seed) {
  std::vector<uint8_t> section;
  for (int i = 0; i < kRecords; ++i) {
    std::vector<uint8_t> body;
    body.push_back(0);
    PutVarlong(&body, i);  // timestampDelta
    PutVarlong(&body, i);  // offsetDelta
    PutVarlong(&body, 10);
    for (int j = 0; j < 10; ++j) body.push_back(static_cast<uint8_t>('0' + (seed + i + j) % 10));
    PutVarlong(&body, 90);
    for (int j = 0; j < 90; ++j)
      body.push_back(static_cast<uint8_t>("{\"user\":12345,\"event\":\"click\"} "[(i * 7 + j) % 31]));
    PutVarlong(&body, 0);  // headers
    PutVarlong(&section, static_cast<int64_t>(body.size()));
    section.insert(section.end(), body.begin(), body.end());
  }
  std::vector<uint8_t> records = section;
  if (codec != kCodecNone && !Compress(codec, section.data(), section.size(), -1, &records).ok()) abort();
  std::vector<uint8_t> b(kRecordsOffset + records.size());
  StoreBe32(&b[kLengthOffset], static_cast<uint32_t>(b.size() - kLogOverhead));
  b[kMagicOffset] = kMagicV2;
  StoreBe16(&b[kAttributesOffset], static_cast<uint16_t>(codec));
  StoreBe32(&b[kLastOffsetDeltaOffset], kRecords - 1);
  StoreBe64(&b[kBaseTimestampOffset], 1700000000000ull);
  StoreBe64(&b[kMaxTimestampOffset], 1700000000000ull);
  StoreBe64(&b[kProducerIdOffset], ~uint64_t{0});
  StoreBe16(&b[kProducerEpochOffset], 0xffff);
  StoreBe32(&b[kBaseSequenceOffset], 0xffffffff);
  StoreBe32(&b[kRecordCountOffset], kRecords);
  std::copy(records.begin(), records.end(), b.begin() + kRecordsOffset);
  StoreBe32(&b[kCrcOffset], Crc32c(0, &b[kAttributesOffset], b.size() - kAttributesOffset));
  return b;
}

}  // namespace

int main() {
  const struct {
    const char* name;
    int codec;
    int reps;
  } codecs[] = {{"uncompressed", kCodecNone, 4000}, {"lz4", kCodecLz4, 800}, {"zstd", kCodecZstd, 800}};
  ValidateOptions options;
  for (const auto& c : codecs) {
    std::vector<std::vector<uint8_t>> pool;
    for (int j = 0; j < kPool; ++j) pool.push_back(MakeBatch(c.codec, j));
    double best_validate = 1e18, best_crc = 1e18;
    uint32_t sink = 0;
    for (int round = 0; round < 5; ++round) {
      const double t0 = CpuNs();
      for (int r = 0; r < c.reps; ++r) {
        const std::vector<uint8_t>& b = pool[r % kPool];
        ValidationResult v;
        if (!ValidateBatch(b.data(), b.size(), options, &v).ok()) abort();
      }
      const double t1 = CpuNs();
      for (int r = 0; r < c.reps; ++r) {
        const std::vector<uint8_t>& b = pool[r % kPool];
        sink += Crc32c(0, &b[kAttributesOffset], b.size() - kAttributesOffset);
      }
      const double t2 = CpuNs();
      best_validate = std::min(best_validate, (t1 - t0) / c.reps / kRecords);
      best_crc = std::min(best_crc, (t2 - t1) / c.reps / kRecords);
    }
    std::printf("%-13s batch %6zu B  validate %6.2f ns/record  crc32c %5.2f ns/record%s\n", c.name,
                pool[0].size(), best_validate, best_crc, sink == 1 ? " " : "");
  }
  return 0;
}
