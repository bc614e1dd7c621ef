// Record validation: one named case per way the records inside a well-framed batch can be
// invalid, for uncompressed and compressed batches, plus the scan and recovery rules.
#include "record_validator.h"

#include <string>
#include <vector>

#include "batch_format.h"
#include "check.h"
#include "codecs.h"
#include "crc32c.h"

using namespace sluice;

namespace {

void PutVarlong(std::vector<uint8_t>* out, int64_t v) {
  uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (z >= 0x80) {
    out->push_back(static_cast<uint8_t>(z | 0x80));
    z >>= 7;
  }
  out->push_back(static_cast<uint8_t>(z));
}

struct Rec {
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  int32_t key_len = 1;    // -1 = null
  int32_t value_len = 5;  // -1 = null
  int32_t headers = 0;    // each: key "h", value "v"
  // Overrides of the encoded fields (used to corrupt one of them).
  int64_t length_override = INT64_MIN;
  int64_t header_key_len_override = INT64_MIN;
  size_t extra_body_bytes = 0;  // bytes after the headers, inside the declared length
};

std::vector<uint8_t> EncodeRecord(const Rec& r) {
  std::vector<uint8_t> body;
  body.push_back(0);  // attributes
  PutVarlong(&body, r.timestamp_delta);
  PutVarlong(&body, r.offset_delta);
  PutVarlong(&body, r.key_len);
  for (int32_t i = 0; i < r.key_len; ++i) body.push_back('k');
  PutVarlong(&body, r.value_len);
  for (int32_t i = 0; i < r.value_len; ++i) body.push_back('v');
  PutVarlong(&body, r.headers);
  for (int32_t h = 0; h < r.headers; ++h) {
    PutVarlong(&body, r.header_key_len_override != INT64_MIN ? r.header_key_len_override : 1);
    body.push_back('h');
    PutVarlong(&body, 1);
    body.push_back('v');
  }
  body.insert(body.end(), r.extra_body_bytes, 0);
  std::vector<uint8_t> out;
  PutVarlong(&out, r.length_override != INT64_MIN ? r.length_override : static_cast<int64_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::vector<Rec> Records(int n) {
  std::vector<Rec> v(n);
  for (int i = 0; i < n; ++i) {
    v[i].offset_delta = i;
    v[i].timestamp_delta = i * 10;
  }
  return v;
}

struct BatchSpec {
  int32_t last_offset_delta = -2;  // -2: records - 1
  int32_t record_count = -2;       // -2: records
  int codec = kCodecNone;
  uint16_t extra_attributes = 0;
  int64_t base_timestamp = 1700000000000;
};

std::vector<uint8_t> BatchOf(const std::vector<uint8_t>& section_plain, int n,
                             const BatchSpec& s = BatchSpec()) {
  std::vector<uint8_t> section = section_plain;
  if (s.codec != kCodecNone) {
    Status st = Compress(s.codec, section_plain.data(), section_plain.size(), -1, &section);
    CHECK(st.ok());
  }
  std::vector<uint8_t> b(kRecordsOffset + section.size());
  StoreBe32(&b[kLengthOffset], static_cast<uint32_t>(b.size() - kLogOverhead));
  b[kMagicOffset] = kMagicV2;
  StoreBe16(&b[kAttributesOffset], static_cast<uint16_t>(s.codec | s.extra_attributes));
  StoreBe32(&b[kLastOffsetDeltaOffset],
            static_cast<uint32_t>(s.last_offset_delta == -2 ? n - 1 : s.last_offset_delta));
  StoreBe64(&b[kBaseTimestampOffset], static_cast<uint64_t>(s.base_timestamp));
  StoreBe64(&b[kMaxTimestampOffset], static_cast<uint64_t>(s.base_timestamp));
  StoreBe64(&b[kProducerIdOffset], ~uint64_t{0});
  StoreBe16(&b[kProducerEpochOffset], 0xffff);
  StoreBe32(&b[kBaseSequenceOffset], 0xffffffff);
  StoreBe32(&b[kRecordCountOffset], static_cast<uint32_t>(s.record_count == -2 ? n : s.record_count));
  std::copy(section.begin(), section.end(), b.begin() + kRecordsOffset);
  StoreBe32(&b[kCrcOffset], Crc32c(0, &b[kAttributesOffset], b.size() - kAttributesOffset));
  return b;
}

std::vector<uint8_t> Batch(const std::vector<Rec>& recs, const BatchSpec& s = BatchSpec()) {
  std::vector<uint8_t> section;
  for (const Rec& r : recs) {
    auto e = EncodeRecord(r);
    section.insert(section.end(), e.begin(), e.end());
  }
  return BatchOf(section, static_cast<int>(recs.size()), s);
}

Status Validate(const std::vector<uint8_t>& b, ValidationResult* r, ValidateOptions o = ValidateOptions()) {
  return ValidateBatch(b.data(), b.size(), o, r);
}

// Expects `code` for record `index`.
void ExpectInvalid(const std::vector<uint8_t>& b, const char* code, int32_t index,
                   ValidateOptions o = ValidateOptions()) {
  ValidationResult r;
  Status s = Validate(b, &r, o);
  CHECK(!s.ok());
  CHECK_EQ(s.code(), std::string(code));
  CHECK_EQ(r.record_index, index);
}

bool HaveCodec(int codec) {
  std::vector<uint8_t> out;
  const uint8_t x = 1;
  return Compress(codec, &x, 1, -1, &out).ok();
}

}  // namespace

TEST(valid_uncompressed_batch_passes_with_its_max_timestamp) {
  auto recs = Records(3);
  recs[1].headers = 2;
  recs[2].key_len = -1;
  recs[2].value_len = -1;
  ValidationResult r;
  CHECK(Validate(Batch(recs), &r).ok());
  CHECK_EQ(r.max_timestamp, int64_t{1700000000020});
}

TEST(valid_compressed_batches_pass_for_every_codec) {
  for (int codec : {kCodecGzip, kCodecSnappy, kCodecLz4, kCodecZstd}) {
    if (!HaveCodec(codec)) continue;
    auto recs = Records(200);
    for (auto& rec : recs) rec.value_len = 700;  // > one 64 KiB window in all
    BatchSpec s;
    s.codec = codec;
    ValidationResult r;
    Status st = Validate(Batch(recs, s), &r);
    CHECK(st.ok());
    CHECK_EQ(r.max_timestamp, int64_t{1700000000000 + 1990});
  }
}

TEST(record_length_of_2_pow_30_in_uncompressed_batch_is_invalid_record) {
  auto recs = Records(2);
  recs[1].length_override = int64_t{1} << 30;
  ExpectInvalid(Batch(recs), "INVALID_RECORD", 1);
}

TEST(negative_record_length_is_invalid_record) {
  auto recs = Records(1);
  recs[0].length_override = -5;
  ExpectInvalid(Batch(recs), "INVALID_RECORD", 0);
}

TEST(one_record_with_last_offset_delta_2_pow_31_minus_1_is_invalid_record) {
  BatchSpec s;
  s.last_offset_delta = 0x7fffffff;
  ExpectInvalid(Batch(Records(1), s), "INVALID_RECORD", -1);
}

TEST(record_count_above_last_offset_delta_plus_1_is_invalid_record) {
  BatchSpec s;
  s.last_offset_delta = 0;
  ExpectInvalid(Batch(Records(2), s), "INVALID_RECORD", -1);
}

TEST(zero_record_count_from_a_client_is_invalid_record) {
  BatchSpec s;
  s.record_count = 0;
  s.last_offset_delta = 0;
  ExpectInvalid(BatchOf({}, 0, s), "INVALID_RECORD", -1);
}

TEST(more_declared_records_than_present_is_invalid_record) {
  BatchSpec s;
  s.record_count = 3;
  s.last_offset_delta = 2;
  auto tiny = Records(2);
  for (auto& rec : tiny) rec.key_len = rec.value_len = -1;
  ExpectInvalid(Batch(tiny, s), "INVALID_RECORD", -1);  // 3 records cannot fit in 14 bytes
  auto recs = Records(2);
  recs[1].value_len = 40;
  ExpectInvalid(Batch(recs, s), "INVALID_RECORD", 2);  // premature end at record 2
}

TEST(bytes_after_the_last_record_are_invalid_record) {
  auto b = Batch(Records(2));
  std::vector<uint8_t> section(b.begin() + kRecordsOffset, b.end());
  section.insert(section.end(), {0, 0, 0, 0, 0, 0, 0, 0});
  ExpectInvalid(BatchOf(section, 2), "INVALID_RECORD", -1);
}

TEST(offset_delta_other_than_its_index_is_invalid_record) {
  auto recs = Records(3);
  recs[2].offset_delta = 5;
  ExpectInvalid(Batch(recs), "INVALID_RECORD", 2);
}

TEST(key_length_below_minus_1_is_invalid_record) {
  auto recs = Records(2);
  recs[0].key_len = -2;
  ExpectInvalid(Batch(recs), "INVALID_RECORD", 0);
}

TEST(value_running_past_its_record_is_invalid_record) {
  auto recs = Records(2);
  recs[0].length_override = 8;  // the value's 5 bytes no longer fit
  ExpectInvalid(Batch(recs), "INVALID_RECORD", 0);
}

TEST(negative_header_key_length_is_invalid_record) {
  auto recs = Records(1);
  recs[0].headers = 1;
  recs[0].header_key_len_override = -1;
  ExpectInvalid(Batch(recs), "INVALID_RECORD", 0);
}

TEST(header_count_beyond_the_record_is_invalid_record) {
  auto recs = Records(1);
  recs[0].headers = 1;
  auto b = Batch(recs);
  // headers count is the byte after the value; 1 → 100 (zigzag 200 = 0xc8 0x01 would change
  // the length, so write zigzag(60) = 120, one byte).
  const size_t at = kRecordsOffset + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 5;
  CHECK_EQ(b[at], uint8_t{2});
  b[at] = 120;
  StoreBe32(&b[kCrcOffset], Crc32c(0, &b[kAttributesOffset], b.size() - kAttributesOffset));
  ExpectInvalid(b, "INVALID_RECORD", 0);
}

TEST(fields_shorter_than_the_declared_length_are_invalid_record) {
  auto recs = Records(2);
  recs[0].extra_body_bytes = 3;
  ExpectInvalid(Batch(recs), "INVALID_RECORD", 0);
}

TEST(varint_longer_than_5_bytes_is_invalid_record) {
  std::vector<uint8_t> section = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 0, 0, 0, 0};
  ExpectInvalid(BatchOf(section, 1), "INVALID_RECORD", 0);
}

TEST(garbage_compressed_payload_is_corrupt_message_for_every_codec) {
  std::vector<uint8_t> garbage(300);
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>(i * 151 + 7);
  for (int codec : {kCodecGzip, kCodecSnappy, kCodecLz4, kCodecZstd}) {
    BatchSpec s;  // garbage taken as the compressed bytes themselves
    std::vector<uint8_t> b = BatchOf(garbage, 1, s);
    StoreBe16(&b[kAttributesOffset], static_cast<uint16_t>(codec));
    StoreBe32(&b[kCrcOffset], Crc32c(0, &b[kAttributesOffset], b.size() - kAttributesOffset));
    ValidationResult r;
    Status st = Validate(b, &r);
    CHECK(!st.ok());
    if (st.code() == "UNSUPPORTED_CODEC") continue;  // gzip without zlib in this build
    CHECK_EQ(st.code(), std::string("CORRUPT_MESSAGE"));
  }
}

TEST(truncated_compressed_payload_is_corrupt_message) {
  for (int codec : {kCodecGzip, kCodecLz4, kCodecZstd}) {
    if (!HaveCodec(codec)) continue;
    BatchSpec s;
    s.codec = codec;
    auto recs = Records(50);
    auto b = Batch(recs, s);
    b.resize(b.size() - 10);
    StoreBe32(&b[kLengthOffset], static_cast<uint32_t>(b.size() - kLogOverhead));
    ValidationResult r;
    Status st = Validate(b, &r);
    CHECK(!st.ok());
    CHECK_EQ(st.code(), std::string("CORRUPT_MESSAGE"));
  }
}

TEST(decompression_bomb_is_refused_at_the_bound_without_inflating_it) {
  for (int codec : {kCodecGzip, kCodecSnappy, kCodecLz4, kCodecZstd}) {
    if (!HaveCodec(codec)) continue;
    // One record whose value is 8 MiB of zeros: compresses to a few KiB.
    std::vector<uint8_t> section;
    const int32_t value = 8 << 20;
    std::vector<uint8_t> body = {0, 0, 0, 1};  // attributes, timestampDelta 0, offsetDelta 0, key null
    PutVarlong(&body, value);
    body.resize(body.size() + value, 0);
    body.push_back(0);
    PutVarlong(&section, static_cast<int64_t>(body.size()));
    section.insert(section.end(), body.begin(), body.end());
    BatchSpec s;
    s.codec = codec;
    auto b = BatchOf(section, 1, s);
    CHECK(b.size() < (size_t{1} << 20));
    ValidateOptions o;
    o.max_uncompressed_bytes = 1 << 20;
    ValidationResult r;
    Status st = Validate(b, &r, o);
    CHECK(!st.ok());
    CHECK_EQ(st.code(), std::string("CORRUPT_MESSAGE"));
    CHECK(st.message().find("exceed") != std::string::npos);
    o.max_uncompressed_bytes = 16 << 20;
    CHECK(Validate(b, &r, o).ok());
  }
}

TEST(snappy_block_claiming_more_than_its_input_can_hold_is_corrupt_message) {
  // A raw snappy block: varint length 2^28 then one literal byte.
  std::vector<uint8_t> payload = {0x80, 0x80, 0x80, 0x80, 0x01, 0x00, 'x'};
  auto b = BatchOf(payload, 1);
  StoreBe16(&b[kAttributesOffset], kCodecSnappy);
  StoreBe32(&b[kCrcOffset], Crc32c(0, &b[kAttributesOffset], b.size() - kAttributesOffset));
  ExpectInvalid(b, "CORRUPT_MESSAGE", -1);
}

TEST(invalid_records_inside_a_compressed_batch_are_invalid_record) {
  for (int codec : {kCodecGzip, kCodecSnappy, kCodecLz4, kCodecZstd}) {
    if (!HaveCodec(codec)) continue;
    auto recs = Records(3);
    recs[2].length_override = int64_t{1} << 30;
    BatchSpec s;
    s.codec = codec;
    ExpectInvalid(Batch(recs, s), "INVALID_RECORD", 2);
    auto more = Records(3);
    more[1].offset_delta = 7;
    ExpectInvalid(Batch(more, s), "INVALID_RECORD", 1);
  }
}

TEST(stored_rules_accept_compacted_batches_and_refuse_disorder) {
  ValidateOptions stored;
  stored.from_client = false;
  auto recs = Records(3);
  recs[1].offset_delta = 4;
  recs[2].offset_delta = 9;
  BatchSpec s;
  s.last_offset_delta = 9;
  ValidationResult r;
  CHECK(Validate(Batch(recs, s), &r, stored).ok());  // gaps from compaction
  BatchSpec empty;
  empty.record_count = 0;
  empty.last_offset_delta = 5;
  CHECK(Validate(BatchOf({}, 0, empty), &r, stored).ok());  // every record compacted away
  recs[2].offset_delta = 3;
  ExpectInvalid(Batch(recs, s), "INVALID_RECORD", 2, stored);
  recs[2].offset_delta = 10;
  ExpectInvalid(Batch(recs, s), "INVALID_RECORD", 2, stored);
}

TEST(scan_with_validation_stops_at_the_invalid_batch_and_says_why) {
  auto good = Batch(Records(2));
  auto recs = Records(2);
  recs[1].length_override = int64_t{1} << 30;
  auto bad = Batch(recs);
  std::vector<uint8_t> both = good;
  both.insert(both.end(), bad.begin(), bad.end());
  ValidateOptions v;
  ScanOptions o;
  o.validate = &v;
  std::vector<BatchHeader> headers;
  ScanResult r = ScanBatches(both.data(), both.size(), o, &headers);
  CHECK_EQ(r.count, size_t{1});
  CHECK_EQ(r.valid_bytes, good.size());
  CHECK_EQ(ScanErrorName(r.error), ScanErrorName(ScanError::kBadRecords));
  CHECK_EQ(r.record_error.code(), std::string("INVALID_RECORD"));
  CHECK_EQ(r.record_index, int32_t{1});
  CHECK_EQ(headers[0].records_max_timestamp, int64_t{1700000000010});
  // Without validation the same bytes scan whole.
  ScanOptions plain;
  CHECK_EQ(ScanBatches(both.data(), both.size(), plain, nullptr).count, size_t{2});
}

TEST(any_truncation_of_a_valid_batch_never_reads_out_of_bounds) {
  auto recs = Records(4);
  recs[1].headers = 3;
  auto b = Batch(recs);
  for (size_t cut = kRecordsOffset; cut < b.size(); ++cut) {
    std::vector<uint8_t> t(b.begin(), b.begin() + cut);  // exact-size copy: ASan sees overreads
    StoreBe32(&t[kLengthOffset], static_cast<uint32_t>(t.size() - kLogOverhead));
    ValidationResult r;
    CHECK(!Validate(t, &r).ok());
  }
}
TEST(xerial_snappy_chunk_declaring_no_bytes_but_holding_some_is_corrupt_message) {
  // Found by fuzz_decompress_stream: a chunk whose snappy block declares 0 bytes but carries
  // more, then a chunk with the records. Readers decompress the whole payload (codecs.h),
  // which refuses that chunk, so validation must refuse it too or readers fail on the batch.
  auto recs = Records(2);
  std::vector<uint8_t> section;
  for (const Rec& r : recs) {
    auto e = EncodeRecord(r);
    section.insert(section.end(), e.begin(), e.end());
  }
  std::vector<uint8_t> block;
  CHECK(Compress(kCodecSnappy, section.data(), section.size(), -1, &block).ok());
  std::vector<uint8_t> payload = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
  const std::vector<uint8_t> empty_with_junk = {0x00, 0x01, 0x02};
  for (const std::vector<uint8_t>* chunk :
       {&empty_with_junk, static_cast<const std::vector<uint8_t>*>(&block)}) {
    uint8_t len[4];
    StoreBe32(len, static_cast<uint32_t>(chunk->size()));
    payload.insert(payload.end(), len, len + 4);
    payload.insert(payload.end(), chunk->begin(), chunk->end());
  }
  std::vector<uint8_t> whole;
  CHECK(!Decompress(kCodecSnappy, payload.data(), payload.size(), 1 << 20, &whole).ok());
  auto b = BatchOf(payload, 2);
  StoreBe16(&b[kAttributesOffset], kCodecSnappy);
  StoreBe32(&b[kCrcOffset], Crc32c(0, &b[kAttributesOffset], b.size() - kAttributesOffset));
  ExpectInvalid(b, "CORRUPT_MESSAGE", -1);
}

TEST_MAIN("record_validator")
