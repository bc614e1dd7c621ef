// Batch scan: one named case per way the bytes ahead can fail to be a whole valid batch,
// plus stamping. Batches are built by hand (header fields + filler "records").
#include <vector>

#include "batch_format.h"
#include "check.h"
#include "crc32c.h"

using namespace sluice;

namespace {

struct Spec {
  int64_t base_offset = 0;
  int32_t last_offset_delta = 2;
  int32_t record_count = 3;
  int32_t leader_epoch = -1;
  uint16_t attributes = 0;
  int64_t base_timestamp = 1700000000000;
  int64_t max_timestamp = 1700000000005;
  int64_t producer_id = -1;
  size_t record_bytes = 30;
};

void FixCrc(uint8_t* batch) {
  const size_t size = LoadBe32(batch + kLengthOffset) + kLogOverhead;
  StoreBe32(batch + kCrcOffset, Crc32c(0, batch + kAttributesOffset, size - kAttributesOffset));
}

std::vector<uint8_t> Batch(const Spec& s) {
  std::vector<uint8_t> b(kRecordsOffset + s.record_bytes);
  StoreBe64(&b[kBaseOffsetOffset], static_cast<uint64_t>(s.base_offset));
  StoreBe32(&b[kLengthOffset], static_cast<uint32_t>(b.size() - kLogOverhead));
  StoreBe32(&b[kPartitionLeaderEpochOffset], static_cast<uint32_t>(s.leader_epoch));
  b[kMagicOffset] = kMagicV2;
  StoreBe16(&b[kAttributesOffset], s.attributes);
  StoreBe32(&b[kLastOffsetDeltaOffset], static_cast<uint32_t>(s.last_offset_delta));
  StoreBe64(&b[kBaseTimestampOffset], static_cast<uint64_t>(s.base_timestamp));
  StoreBe64(&b[kMaxTimestampOffset], static_cast<uint64_t>(s.max_timestamp));
  StoreBe64(&b[kProducerIdOffset], static_cast<uint64_t>(s.producer_id));
  StoreBe16(&b[kProducerEpochOffset], 0xffff);
  StoreBe32(&b[kBaseSequenceOffset], 0xffffffff);
  StoreBe32(&b[kRecordCountOffset], static_cast<uint32_t>(s.record_count));
  for (size_t i = kRecordsOffset; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 7 + 1);
  FixCrc(b.data());
  return b;
}

std::vector<uint8_t> Concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

ScanResult Scan(const std::vector<uint8_t>& v, std::vector<BatchHeader>* out = nullptr,
                ScanOptions options = ScanOptions()) {
  return ScanBatches(v.data(), v.size(), options, out);
}

// Two good batches then `tail`: the scan must keep both and stop at the tail with `want`.
void ExpectStopsAtTail(const std::vector<uint8_t>& tail, ScanError want) {
  Spec second;
  second.base_offset = 3;
  const auto good = Concat({Batch(Spec()), Batch(second)});
  const auto bytes = Concat({good, tail});
  ScanResult r = Scan(bytes);
  CHECK_EQ(r.count, size_t{2});
  CHECK_EQ(r.valid_bytes, good.size());
  CHECK_EQ(r.error_position, good.size());
  CHECK_EQ(ScanErrorName(r.error), ScanErrorName(want));
}

}  // namespace

TEST(whole_valid_batches_scan_to_the_end_with_their_headers) {
  Spec a;
  Spec b;
  b.base_offset = 3;
  b.last_offset_delta = 0;
  b.record_count = 1;
  b.producer_id = 42;
  b.attributes = 0x0013;
  b.leader_epoch = 7;
  const auto bytes = Concat({Batch(a), Batch(b)});
  std::vector<BatchHeader> headers;
  ScanResult r = Scan(bytes, &headers);
  CHECK(r.error == ScanError::kNone);
  CHECK(ScanErrorName(r.error) == nullptr);
  CHECK_EQ(r.count, size_t{2});
  CHECK_EQ(r.valid_bytes, bytes.size());
  CHECK_EQ(headers.size(), size_t{2});
  CHECK_EQ(headers[1].position, uint64_t{91});
  CHECK_EQ(headers[1].size, 91u);
  CHECK_EQ(headers[1].base_offset, int64_t{3});
  CHECK_EQ(headers[1].producer_id, int64_t{42});
  CHECK_EQ(headers[1].attributes, uint16_t{0x13});
  CHECK_EQ(headers[1].partition_leader_epoch, 7);
  CHECK_EQ(headers[0].max_timestamp, int64_t{1700000000005});
  CHECK_EQ(headers[0].record_count, 3);
}

TEST(empty_input_is_zero_batches_without_error) {
  ScanResult r = Scan({});
  CHECK(r.error == ScanError::kNone);
  CHECK_EQ(r.count, size_t{0});
}

TEST(truncated_header_stops_the_scan) {
  auto next = Batch(Spec());
  next.resize(40);  // length readable, header cut
  ExpectStopsAtTail(next, ScanError::kTruncatedHeader);
  ExpectStopsAtTail(std::vector<uint8_t>{0, 0, 0, 1, 2}, ScanError::kTruncatedHeader);
}

TEST(truncated_body_stops_the_scan) {
  auto next = Batch(Spec());
  next.pop_back();
  ExpectStopsAtTail(next, ScanError::kTruncatedBody);
}

TEST(bad_crc_stops_the_scan) {
  auto next = Batch(Spec());
  next.back() ^= 0x01;
  ExpectStopsAtTail(next, ScanError::kBadCrc);
}

TEST(bad_crc_is_ignored_when_verification_is_off) {
  auto bytes = Batch(Spec());
  bytes.back() ^= 0x01;
  ScanOptions options;
  options.verify_crc = false;
  ScanResult r = Scan(bytes, nullptr, options);
  CHECK(r.error == ScanError::kNone);
  CHECK_EQ(r.count, size_t{1});
}

TEST(bad_magic_stops_the_scan) {
  auto next = Batch(Spec());
  next[kMagicOffset] = 1;
  ExpectStopsAtTail(next, ScanError::kBadMagic);
}

TEST(length_below_minimum_is_bad_length) {
  auto next = Batch(Spec());
  StoreBe32(&next[kLengthOffset], 48);
  ExpectStopsAtTail(next, ScanError::kBadLength);
  StoreBe32(&next[kLengthOffset], 0x80000000u);  // negative
  ExpectStopsAtTail(next, ScanError::kBadLength);
}

TEST(length_overflow_past_max_batch_bytes_is_bad_length) {
  auto next = Batch(Spec());
  StoreBe32(&next[kLengthOffset], 0x7ffffff0u);  // runs far past the end, and past the limit
  Spec second;
  second.base_offset = 3;
  const auto good = Concat({Batch(Spec()), Batch(second)});
  const auto bytes = Concat({good, next});
  ScanOptions options;
  options.max_batch_bytes = 1 << 20;
  ScanResult r = Scan(bytes, nullptr, options);
  CHECK_EQ(ScanErrorName(r.error), "BAD_LENGTH");
  CHECK_EQ(r.error_position, good.size());
  // A whole batch larger than the limit is refused even though its bytes are all there.
  options.max_batch_bytes = 90;
  r = Scan(Batch(Spec()), nullptr, options);
  CHECK_EQ(ScanErrorName(r.error), "BAD_LENGTH");
}

TEST(zero_filled_tail_is_named_zero_filled) {
  ExpectStopsAtTail(std::vector<uint8_t>(4096, 0), ScanError::kZeroFilled);
  ExpectStopsAtTail(std::vector<uint8_t>(12, 0), ScanError::kZeroFilled);
}

TEST(negative_last_offset_delta_is_bad_offsets) {
  Spec s;
  s.base_offset = 3;
  s.last_offset_delta = -1;
  s.record_count = 0;
  ExpectStopsAtTail(Batch(s), ScanError::kBadOffsets);
}

TEST(offsets_beyond_2_pow_53_are_bad_offsets) {
  Spec s;
  s.base_offset = kMaxSafeInteger - 1;  // last offset = base + 2 > 2^53 - 1
  ExpectStopsAtTail(Batch(s), ScanError::kBadOffsets);
  Spec p;
  p.base_offset = 3;
  p.producer_id = int64_t{1} << 60;
  ExpectStopsAtTail(Batch(p), ScanError::kBadOffsets);
}

TEST(more_records_than_offsets_is_bad_offsets) {
  Spec s;
  s.base_offset = 3;
  s.record_count = 4;  // lastOffsetDelta 2 allows at most 3
  ExpectStopsAtTail(Batch(s), ScanError::kBadOffsets);
}

TEST(non_increasing_base_offsets_are_bad_offsets_when_required) {
  const auto bytes = Concat({Batch(Spec()), Batch(Spec())});  // both at base offset 0
  ScanOptions options;
  CHECK(Scan(bytes, nullptr, options).error == ScanError::kNone);
  options.require_increasing_offsets = true;
  ScanResult r = Scan(bytes, nullptr, options);
  CHECK_EQ(ScanErrorName(r.error), "BAD_OFFSETS");
  CHECK_EQ(r.count, size_t{1});
}

TEST(positions_are_reported_relative_to_position_base) {
  std::vector<BatchHeader> headers;
  const auto bytes = Batch(Spec());
  ScanBatches(bytes.data(), bytes.size(), ScanOptions(), &headers, 1000);
  CHECK_EQ(headers.size(), size_t{1});
  CHECK_EQ(headers[0].position, uint64_t{1000});
}

TEST(stamping_assigns_consecutive_offsets_without_touching_the_crc) {
  Spec b;
  b.last_offset_delta = 0;
  b.record_count = 1;
  auto bytes = Concat({Batch(Spec()), Batch(b)});
  const auto crc0 = LoadBe32(&bytes[kCrcOffset]);
  int64_t next = 0;
  CHECK(StampBatches(bytes.data(), bytes.size(), 100, -1, -1, &next).ok());
  CHECK_EQ(next, int64_t{104});
  CHECK_EQ(LoadBe64(&bytes[0]), uint64_t{100});
  CHECK_EQ(LoadBe64(&bytes[91]), uint64_t{103});
  CHECK_EQ(LoadBe32(&bytes[kCrcOffset]), crc0);
  CHECK_EQ(LoadBe32(&bytes[kPartitionLeaderEpochOffset]), 0xffffffffu);
  CHECK(Scan(bytes).error == ScanError::kNone);
}

TEST(stamping_log_append_time_sets_type_bit_and_max_timestamp_and_rewrites_crc) {
  auto bytes = Batch(Spec());
  int64_t next = 0;
  CHECK(StampBatches(bytes.data(), bytes.size(), 0, 1800000000000, 5, &next).ok());
  CHECK_EQ(LoadBe16(&bytes[kAttributesOffset]) & kTimestampTypeBit, kTimestampTypeBit + 0);
  CHECK_EQ(LoadBe64(&bytes[kMaxTimestampOffset]), uint64_t{1800000000000});
  CHECK_EQ(LoadBe64(&bytes[kBaseTimestampOffset]), uint64_t{1700000000000});  // as Kafka: untouched
  CHECK_EQ(LoadBe32(&bytes[kPartitionLeaderEpochOffset]), 5u);
  CHECK(Scan(bytes).error == ScanError::kNone);
}

TEST(stamping_malformed_bytes_fails_and_changes_nothing) {
  auto bytes = Concat({Batch(Spec()), Batch(Spec())});
  bytes.pop_back();
  const auto before = bytes;
  int64_t next = 0;
  Status s = StampBatches(bytes.data(), bytes.size(), 10, 5, 5, &next);
  CHECK(!s.ok());
  CHECK_EQ(s.code(), std::string("CORRUPT_BATCH"));
  CHECK(bytes == before);
}

TEST_MAIN("batch_scan")
