// Codec dispatch over zlib (Node's own, exported by the node binary), snappy, lz4 and zstd
// (vendored under native/third_party). Formats and limits are described in codecs.h.
//
// Output growth: decompressed sizes are mostly unknown up front, so output buffers grow
// geometrically but never past max_output_bytes + 1; producing that one extra byte is how a
// bomb is detected without decoding it further.
#include "codecs.h"

#ifndef SLUICE_NO_GZIP
#include <zlib.h>
#endif

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>

#include "lz4frame.h"
#include "lz4frame_static.h"
#include "snappy.h"
// ZSTD_findDecompressedSize is in the static-only API; zstd is linked statically here.
#define ZSTD_STATIC_LINKING_ONLY
#include "zstd.h"

#define XXH_NAMESPACE LZ4_
#include "xxhash.h"

namespace sluice {
namespace {

Status Corrupt(const char* codec, const char* detail) {
  return Status::Error("CORRUPT_COMPRESSED_DATA", std::string(codec) + ": " + detail);
}

Status TooLarge(size_t max_output_bytes) {
  return Status::Error("DECOMPRESSED_TOO_LARGE",
                       "decompressed data exceeds maxOutputBytes (" + std::to_string(max_output_bytes) + ")");
}

Status OutOfMemory(const char* codec) {
  return Status::Error("ENOMEM", std::string(codec) + ": out of memory");
}

// Growable output bounded at limit = max + 1 bytes.
class BoundedOutput {
 public:
  BoundedOutput(std::vector<uint8_t>* out, size_t max_output_bytes, size_t size_hint)
      : out_(out), limit_(max_output_bytes + 1) {
    out_->clear();
    out_->resize(std::min(limit_, std::max<size_t>(size_hint, 4096)));
  }
  uint8_t* free_begin() { return out_->data() + produced_; }
  size_t free_bytes() const { return out_->size() - produced_; }
  void Produced(size_t n) { produced_ += n; }
  size_t produced() const { return produced_; }
  bool over_limit() const { return produced_ >= limit_; }
  // Makes room for more output; false when the buffer is already at its limit.
  bool Grow() {
    if (out_->size() >= limit_) return false;
    size_t next = out_->size() <= limit_ / 2 ? out_->size() * 2 : limit_;
    out_->resize(next);
    return true;
  }
  void Finish() { out_->resize(produced_); }

 private:
  std::vector<uint8_t>* out_;
  size_t limit_;
  size_t produced_ = 0;
};

// ---- gzip ----------------------------------------------------------------------------------

#ifdef SLUICE_NO_GZIP  // only the C++ unit tests on machines without a system zlib

Status GzipCompress(const uint8_t*, size_t, int, std::vector<uint8_t>*) {
  return Status::Error("UNSUPPORTED_CODEC", "gzip: built without zlib");
}
Status GzipDecompress(const uint8_t*, size_t, size_t, std::vector<uint8_t>*) {
  return Status::Error("UNSUPPORTED_CODEC", "gzip: built without zlib");
}

#else

constexpr int kGzipWindowBits = 15 + 16;        // deflate with a gzip wrapper
constexpr int kAutoDetectWindowBits = 15 + 32;  // inflate gzip or zlib

Status GzipCompress(const uint8_t* data, size_t len, int level, std::vector<uint8_t>* out) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (level < 0) level = Z_DEFAULT_COMPRESSION;
  if (level > 9) level = 9;
  if (deflateInit2(&zs, level, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return OutOfMemory("gzip");
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, deflateEnd);
  out->clear();
  out->resize(deflateBound(&zs, len) + 64);
  size_t in_pos = 0;
  size_t out_pos = 0;
  for (;;) {
    // zlib counts in uInt: feed and drain in chunks that fit.
    const size_t in_chunk = std::min<size_t>(len - in_pos, UINT_MAX);
    const size_t out_chunk = std::min<size_t>(out->size() - out_pos, UINT_MAX);
    zs.next_in = const_cast<Bytef*>(data + in_pos);
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = out->data() + out_pos;
    zs.avail_out = static_cast<uInt>(out_chunk);
    const int flush = in_pos + in_chunk == len ? Z_FINISH : Z_NO_FLUSH;
    const int ret = deflate(&zs, flush);
    in_pos += in_chunk - zs.avail_in;
    out_pos += out_chunk - zs.avail_out;
    if (ret == Z_STREAM_END) break;
    if (ret != Z_OK && ret != Z_BUF_ERROR) return Status::Error("EINVAL", "gzip: deflate failed");
    if (out_pos == out->size()) out->resize(out->size() * 2);
  }
  out->resize(out_pos);
  return Status::Ok();
}

bool StartsWithGzipMagic(const uint8_t* p, size_t n) { return n >= 2 && p[0] == 0x1f && p[1] == 0x8b; }

Status GzipDecompress(const uint8_t* data, size_t len, size_t max_output_bytes, std::vector<uint8_t>* out) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, kAutoDetectWindowBits) != Z_OK) return OutOfMemory("gzip");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  BoundedOutput output(out, max_output_bytes, len * 4);
  size_t in_pos = 0;
  for (;;) {
    if (output.free_bytes() == 0 && !output.Grow()) return TooLarge(max_output_bytes);
    const size_t in_chunk = std::min<size_t>(len - in_pos, UINT_MAX);
    const size_t out_chunk = std::min<size_t>(output.free_bytes(), UINT_MAX);
    zs.next_in = const_cast<Bytef*>(data + in_pos);
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = output.free_begin();
    zs.avail_out = static_cast<uInt>(out_chunk);
    const int ret = inflate(&zs, Z_NO_FLUSH);
    const size_t consumed = in_chunk - zs.avail_in;
    const size_t produced = out_chunk - zs.avail_out;
    in_pos += consumed;
    output.Produced(produced);
    if (output.over_limit()) return TooLarge(max_output_bytes);
    if (ret == Z_STREAM_END) {
      // Java's GZIPInputStream reads on through concatenated members and ignores anything
      // else after the first; do the same.
      if (!StartsWithGzipMagic(data + in_pos, len - in_pos)) break;
      if (inflateReset(&zs) != Z_OK) return Corrupt("gzip", "inflateReset failed");
      continue;
    }
    if (ret == Z_MEM_ERROR) return OutOfMemory("gzip");
    if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT || ret == Z_STREAM_ERROR) {
      return Corrupt("gzip", zs.msg != nullptr ? zs.msg : "invalid deflate stream");
    }
    // Z_OK or Z_BUF_ERROR: no progress with input exhausted means the stream is cut short.
    if (in_pos == len && produced == 0 && output.free_bytes() > 0) {
      return Corrupt("gzip", "unexpected end of input");
    }
  }
  output.Finish();
  return Status::Ok();
}

#endif  // SLUICE_NO_GZIP

// ---- snappy --------------------------------------------------------------------------------

constexpr uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeaderBytes = 16;

Status SnappyCompress(const uint8_t* data, size_t len, std::vector<uint8_t>* out) {
  // The snappy block format stores the length as a varint32.
  if (len > UINT32_MAX) return Status::Error("EINVAL", "snappy: input larger than 4 GiB");
  out->clear();
  out->resize(snappy::MaxCompressedLength(len));
  size_t compressed = 0;
  snappy::RawCompress(reinterpret_cast<const char*>(data), len, reinterpret_cast<char*>(out->data()),
                      &compressed);
  out->resize(compressed);
  return Status::Ok();
}

// Appends the raw block's content to *out, keeping the total within max_output_bytes.
Status SnappyAppendBlock(const uint8_t* block, size_t n, size_t max_output_bytes, std::vector<uint8_t>* out) {
  const char* p = reinterpret_cast<const char*>(block);
  size_t block_bytes = 0;
  if (!snappy::GetUncompressedLength(p, n, &block_bytes)) return Corrupt("snappy", "bad block header");
  if (block_bytes > max_output_bytes - out->size()) return TooLarge(max_output_bytes);
  const size_t at = out->size();
  out->resize(at + block_bytes);
  if (!snappy::RawUncompress(p, n, reinterpret_cast<char*>(out->data() + at))) {
    return Corrupt("snappy", "invalid block");
  }
  return Status::Ok();
}

Status SnappyDecompress(const uint8_t* data, size_t len, size_t max_output_bytes, std::vector<uint8_t>* out) {
  out->clear();
  // A raw block cannot start with the xerial magic: 0x82 'S' decodes as a length of 10626 and
  // the next tag ('N', a copy) would reference bytes before the start.
  if (len < kXerialHeaderBytes || std::memcmp(data, kXerialMagic, sizeof(kXerialMagic)) != 0) {
    return SnappyAppendBlock(data, len, max_output_bytes, out);
  }
  size_t pos = kXerialHeaderBytes;
  while (pos < len) {
    if (len - pos < 4) return Corrupt("snappy", "truncated xerial chunk length");
    const uint32_t chunk = (uint32_t{data[pos]} << 24) | (uint32_t{data[pos + 1]} << 16) |
                           (uint32_t{data[pos + 2]} << 8) | uint32_t{data[pos + 3]};
    pos += 4;
    if (chunk > INT32_MAX || chunk > len - pos) return Corrupt("snappy", "truncated xerial chunk");
    Status s = SnappyAppendBlock(data + pos, chunk, max_output_bytes, out);
    if (!s.ok()) return s;
    pos += chunk;
  }
  return Status::Ok();
}

// ---- lz4 -----------------------------------------------------------------------------------

constexpr uint32_t kLz4FrameMagic = 0x184D2204;  // little-endian on the wire

uint32_t LoadLe32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

Status Lz4Compress(const uint8_t* data, size_t len, int level, std::vector<uint8_t>* out) {
  LZ4F_preferences_t prefs;
  std::memset(&prefs, 0, sizeof(prefs));
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.compressionLevel = level < 0 ? 0 : level;
  out->clear();
  out->resize(LZ4F_compressFrameBound(len, &prefs));
  const size_t n = LZ4F_compressFrame(out->data(), out->size(), data, len, &prefs);
  if (LZ4F_isError(n)) return Status::Error("EINVAL", std::string("lz4: ") + LZ4F_getErrorName(n));
  out->resize(n);
  return Status::Ok();
}

// Length of the frame descriptor (FLG, BD, optional content size and dictionary id) of the
// frame at p, or 0 when the bytes do not hold one.
size_t Lz4DescriptorBytes(const uint8_t* p, size_t n) {
  if (n < 7 || LoadLe32(p) != kLz4FrameMagic) return 0;
  const uint8_t flg = p[4];
  size_t bytes = 2;
  if (flg & 0x08) bytes += 8;  // content size
  if (flg & 0x01) bytes += 4;  // dictionary id
  return 4 + bytes + 1 <= n ? bytes : 0;
}

struct Lz4DctxDeleter {
  void operator()(LZ4F_dctx* d) const { LZ4F_freeDecompressionContext(d); }
};

class Lz4Decoder {
 public:
  Lz4Decoder(BoundedOutput* output, size_t max_output_bytes)
      : output_(output), max_output_bytes_(max_output_bytes) {}

  Status Init() {
    LZ4F_dctx* d = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION))) return OutOfMemory("lz4");
    dctx_.reset(d);
    return Status::Ok();
  }

  // Feeds src[0, n). *frame_end is set when a frame ended exactly at the returned *consumed.
  Status Feed(const uint8_t* src, size_t n, size_t* consumed, bool* frame_end, size_t* lz4_error) {
    size_t pos = 0;
    *frame_end = false;
    *lz4_error = 0;
    while (pos < n || output_->free_bytes() == 0) {
      if (output_->free_bytes() == 0 && !output_->Grow()) return TooLarge(max_output_bytes_);
      size_t src_size = n - pos;
      size_t dst_size = output_->free_bytes();
      const size_t ret =
          LZ4F_decompress(dctx_.get(), output_->free_begin(), &dst_size, src + pos, &src_size, nullptr);
      if (LZ4F_isError(ret)) {
        *lz4_error = ret;
        return Corrupt("lz4", LZ4F_getErrorName(ret));
      }
      pos += src_size;
      output_->Produced(dst_size);
      if (output_->over_limit()) return TooLarge(max_output_bytes_);
      if (ret == 0) {
        *frame_end = true;
        break;
      }
      if (src_size == 0 && dst_size == 0) break;  // needs more input than we have
    }
    *consumed = pos;
    return Status::Ok();
  }

 private:
  BoundedOutput* output_;
  size_t max_output_bytes_;
  std::unique_ptr<LZ4F_dctx, Lz4DctxDeleter> dctx_;
};

Status Lz4Decompress(const uint8_t* data, size_t len, size_t max_output_bytes, std::vector<uint8_t>* out) {
  BoundedOutput output(out, max_output_bytes, len * 3);
  size_t pos = 0;
  do {
    const uint8_t* frame = data + pos;
    const size_t frame_avail = len - pos;
    Lz4Decoder decoder(&output, max_output_bytes);
    Status s = decoder.Init();
    if (!s.ok()) return s;
    size_t consumed = 0;
    bool frame_end = false;
    size_t lz4_error = 0;
    s = decoder.Feed(frame, frame_avail, &consumed, &frame_end, &lz4_error);
    if (!s.ok() && lz4_error != 0 && LZ4F_getErrorCode(lz4_error) == LZ4F_ERROR_headerChecksum_invalid) {
      // Kafka clients before 0.10 (message format v0) computed the header checksum over the
      // magic number too. Accept exactly that mistake, as Kafka and librdkafka do: feed a
      // corrected copy of the header to a fresh context, then the rest of the frame. The
      // header is checked before any block is decoded, so this frame produced no output yet.
      const size_t descriptor = Lz4DescriptorBytes(frame, frame_avail);
      if (descriptor == 0) return s;
      const size_t hc_at = 4 + descriptor;
      if (frame[hc_at] != static_cast<uint8_t>(XXH32(frame, hc_at, 0) >> 8)) return s;
      uint8_t header[4 + 14 + 1];
      std::memcpy(header, frame, hc_at);
      header[hc_at] = static_cast<uint8_t>(XXH32(frame + 4, descriptor, 0) >> 8);
      Lz4Decoder fixed(&output, max_output_bytes);
      s = fixed.Init();
      if (!s.ok()) return s;
      size_t header_consumed = 0;
      s = fixed.Feed(header, hc_at + 1, &header_consumed, &frame_end, &lz4_error);
      if (!s.ok()) return s;
      s = fixed.Feed(frame + hc_at + 1, frame_avail - hc_at - 1, &consumed, &frame_end, &lz4_error);
      if (!s.ok()) return s;
      consumed += hc_at + 1;
    } else if (!s.ok()) {
      return s;
    }
    if (!frame_end) return Corrupt("lz4", "unexpected end of input");
    pos += consumed;
    // Concatenated frames decode as one stream; other trailing bytes are ignored, as Java's
    // reader stops at the first frame's end mark.
  } while (len - pos >= 4 && LoadLe32(data + pos) == kLz4FrameMagic);
  output.Finish();
  return Status::Ok();
}

// ---- zstd ----------------------------------------------------------------------------------

struct ZstdCctxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct ZstdDctxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// One context per thread (the JS thread and each libuv worker): creating a compression
// context costs more than compressing a small batch.
ZSTD_CCtx* ThreadCctx() {
  thread_local std::unique_ptr<ZSTD_CCtx, ZstdCctxDeleter> cctx(ZSTD_createCCtx());
  return cctx.get();
}
ZSTD_DCtx* ThreadDctx() {
  thread_local std::unique_ptr<ZSTD_DCtx, ZstdDctxDeleter> dctx(ZSTD_createDCtx());
  return dctx.get();
}

Status ZstdCompress(const uint8_t* data, size_t len, int level, std::vector<uint8_t>* out) {
  ZSTD_CCtx* cctx = ThreadCctx();
  if (cctx == nullptr) return OutOfMemory("zstd");
  if (level < 0) level = ZSTD_CLEVEL_DEFAULT;
  level = std::min(level, ZSTD_maxCLevel());
  out->clear();
  out->resize(ZSTD_compressBound(len));
  const size_t n = ZSTD_compressCCtx(cctx, out->data(), out->size(), data, len, level);
  if (ZSTD_isError(n)) return Status::Error("EINVAL", std::string("zstd: ") + ZSTD_getErrorName(n));
  out->resize(n);
  return Status::Ok();
}

Status ZstdDecompress(const uint8_t* data, size_t len, size_t max_output_bytes, std::vector<uint8_t>* out) {
  // No frame at all: zstd would call that 0 bytes of content, but an empty payload is as
  // corrupt for zstd as for the other codecs (and for the streaming decoder, codec_stream.cc).
  if (len == 0) return Corrupt("zstd", "unexpected end of input");
  ZSTD_DCtx* dctx = ThreadDctx();
  if (dctx == nullptr) return OutOfMemory("zstd");
  ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
  const unsigned long long content = ZSTD_findDecompressedSize(data, len);
  if (content == ZSTD_CONTENTSIZE_ERROR) return Corrupt("zstd", "not a zstd frame");
  if (content != ZSTD_CONTENTSIZE_UNKNOWN) {
    if (content > max_output_bytes) return TooLarge(max_output_bytes);
    out->clear();
    out->resize(static_cast<size_t>(content));
    const size_t n = ZSTD_decompressDCtx(dctx, out->data(), out->size(), data, len);
    if (ZSTD_isError(n)) return Corrupt("zstd", ZSTD_getErrorName(n));
    if (n != content) return Corrupt("zstd", "content size mismatch");
    return Status::Ok();
  }
  BoundedOutput output(out, max_output_bytes, len * 4);
  ZSTD_inBuffer in = {data, len, 0};
  for (;;) {
    if (output.free_bytes() == 0 && !output.Grow()) return TooLarge(max_output_bytes);
    const size_t in_before = in.pos;
    ZSTD_outBuffer o = {output.free_begin(), output.free_bytes(), 0};
    const size_t ret = ZSTD_decompressStream(dctx, &o, &in);
    if (ZSTD_isError(ret)) return Corrupt("zstd", ZSTD_getErrorName(ret));
    output.Produced(o.pos);
    if (output.over_limit()) return TooLarge(max_output_bytes);
    if (ret == 0 && in.pos == in.size) break;  // last frame decoded and flushed
    if (in.pos == in_before && o.pos == 0 && o.size > 0) {
      return Corrupt("zstd", "unexpected end of input");  // no progress possible
    }
  }
  output.Finish();
  return Status::Ok();
}

}  // namespace

bool IsValidCodec(int codec) { return codec >= kCodecNone && codec <= kCodecZstd; }

Status Compress(int codec, const uint8_t* data, size_t len, int level, std::vector<uint8_t>* out) {
  switch (codec) {
    case kCodecNone: out->assign(data, data + len); return Status::Ok();
    case kCodecGzip: return GzipCompress(data, len, level, out);
    case kCodecSnappy: return SnappyCompress(data, len, out);
    case kCodecLz4: return Lz4Compress(data, len, level, out);
    case kCodecZstd: return ZstdCompress(data, len, level, out);
    default: return Status::Error("UNSUPPORTED_CODEC", "unknown codec " + std::to_string(codec));
  }
}

Status Decompress(int codec, const uint8_t* data, size_t len, size_t max_output_bytes,
                  std::vector<uint8_t>* out) {
  switch (codec) {
    case kCodecNone:
      if (len > max_output_bytes) return TooLarge(max_output_bytes);
      out->assign(data, data + len);
      return Status::Ok();
    case kCodecGzip: return GzipDecompress(data, len, max_output_bytes, out);
    case kCodecSnappy: return SnappyDecompress(data, len, max_output_bytes, out);
    case kCodecLz4: return Lz4Decompress(data, len, max_output_bytes, out);
    case kCodecZstd: return ZstdDecompress(data, len, max_output_bytes, out);
    default: return Status::Error("UNSUPPORTED_CODEC", "unknown codec " + std::to_string(codec));
  }
}

}  // namespace sluice
