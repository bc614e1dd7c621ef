// Streaming decoders for validation (see codec_stream.h). One set of codec state per thread:
// validation runs synchronously on the JS thread and on recovery workers, one batch at a time
// per thread, so a DecompressStream never shares its thread's state with another live one.
#include "codec_stream.h"

#ifndef SLUICE_NO_GZIP
#include <zlib.h>
#endif

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "codecs.h"
#include "snappy.h"
#include "zstd.h"

namespace sluice {
namespace {

// A snappy tag of k bytes emits at most 64 bytes for k = 3 (copy with 2-byte offset): no
// block decodes to more than 22 bytes per input byte.
constexpr size_t kSnappyMaxExpansion = 22;
// State larger than this after a batch is freed rather than kept for the next one.
constexpr size_t kKeepStateBytes = size_t{8} << 20;

constexpr uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeaderBytes = 16;

Status Corrupt(const char* codec, const char* detail) {
  return Status::Error("CORRUPT_COMPRESSED_DATA", std::string(codec) + ": " + detail);
}

struct ThreadState {
#ifndef SLUICE_NO_GZIP
  z_stream zs;
  bool zs_ready = false;
#endif
  ZSTD_DCtx* zstd = nullptr;
  std::vector<uint8_t> lz4_out;  // see Start: lz4 payloads are decoded whole, bounded
  std::unique_ptr<uint8_t[]> block;
  size_t block_cap = 0;

  void Release() {
#ifndef SLUICE_NO_GZIP
    if (zs_ready) inflateEnd(&zs);
    zs_ready = false;
#endif
    if (zstd != nullptr) ZSTD_freeDCtx(zstd);
    zstd = nullptr;
    block.reset();
    block_cap = 0;
    std::vector<uint8_t>().swap(lz4_out);
  }
  ~ThreadState() { Release(); }
};

ThreadState& State() {
  thread_local ThreadState state;
  return state;
}

}  // namespace

void ReleaseDecompressStreamState() { State().Release(); }

DecompressStream::~DecompressStream() {
  ThreadState& st = State();
  if (st.block_cap > kKeepStateBytes) {
    st.block.reset();
    st.block_cap = 0;
  }
  if (st.lz4_out.capacity() > kKeepStateBytes) std::vector<uint8_t>().swap(st.lz4_out);
  if (st.zstd != nullptr && ZSTD_sizeof_DCtx(st.zstd) > kKeepStateBytes) {
    ZSTD_freeDCtx(st.zstd);
    st.zstd = nullptr;
  }
}

Status DecompressStream::Start(int codec, const uint8_t* data, size_t len, size_t max_output_bytes) {
  codec_ = codec;
  in_ = data;
  in_len_ = len;
  in_pos_ = 0;
  max_output_bytes_ = max_output_bytes;
  produced_ = 0;
  ended_ = false;
  block_len_ = block_pos_ = 0;
  ThreadState& st = State();
  switch (codec) {
    case kCodecGzip:
#ifdef SLUICE_NO_GZIP
      return Status::Error("UNSUPPORTED_CODEC", "gzip: built without zlib");
#else
      if (!st.zs_ready) {
        std::memset(&st.zs, 0, sizeof(st.zs));
        if (inflateInit2(&st.zs, 15 + 32) != Z_OK) return Status::Error("ENOMEM", "gzip: out of memory");
        st.zs_ready = true;
      } else if (inflateReset(&st.zs) != Z_OK) {
        return Status::Error("ENOMEM", "gzip: inflateReset failed");
      }
      return Status::Ok();
#endif
    case kCodecSnappy:
      xerial_ = len >= kXerialHeaderBytes && std::memcmp(data, kXerialMagic, sizeof(kXerialMagic)) == 0;
      if (xerial_) in_pos_ = kXerialHeaderBytes;
      return Status::Ok();
    case kCodecLz4:
      // Decoded whole (bounded), as readers decode it (codecs.h), then handed out from there.
      // lz4 1.9.2's frame decoder, fed one reused output window piece by piece, keeps its
      // linked-block history partly in that window and was seen (fuzz_decompress_stream)
      // to refuse a valid frame that the whole-buffer decoder reads; the validator must never
      // disagree with readers. The cost: up to max_output_bytes + 1 bytes held while a bomb
      // is refused, instead of one window.
      st.lz4_out.clear();
      deferred_ = Decompress(kCodecLz4, data, len, max_output_bytes, &st.lz4_out);
      if (!deferred_.ok() && deferred_.code() != "DECOMPRESSED_TOO_LARGE" && deferred_.code() != "ENOMEM" &&
          deferred_.code() != "CORRUPT_COMPRESSED_DATA") {
        const std::string detail = deferred_.message();
        deferred_ = Corrupt("lz4", detail.c_str());
      }
      return Status::Ok();
    case kCodecZstd:
      if (st.zstd == nullptr) {
        st.zstd = ZSTD_createDCtx();
        if (st.zstd == nullptr) return Status::Error("ENOMEM", "zstd: out of memory");
      }
      ZSTD_DCtx_reset(st.zstd, ZSTD_reset_session_only);
      return Status::Ok();
    default: return Status::Error("UNSUPPORTED_CODEC", "unknown codec " + std::to_string(codec));
  }
}

Status DecompressStream::Read(uint8_t* dst, size_t cap, size_t* n) {
  *n = 0;
  if (ended_) return Status::Ok();
  // One byte past the bound is how a bomb is told from a stream that ends exactly at it.
  const uint64_t room = max_output_bytes_ + 1 - produced_;
  if (cap > room) cap = static_cast<size_t>(room);
  Status s;
  switch (codec_) {
    case kCodecGzip: s = ReadGzip(dst, cap, n); break;
    case kCodecSnappy: s = ReadSnappy(dst, cap, n); break;
    case kCodecLz4: s = ReadLz4(dst, cap, n); break;
    case kCodecZstd: s = ReadZstd(dst, cap, n); break;
    default: return Status::Error("UNSUPPORTED_CODEC", "unknown codec");
  }
  if (!s.ok()) return s;
  produced_ += *n;
  if (produced_ > max_output_bytes_) {
    return Status::Error("DECOMPRESSED_TOO_LARGE",
                         "decompressed records exceed " + std::to_string(max_output_bytes_) + " bytes");
  }
  return Status::Ok();
}

Status DecompressStream::ReadGzip(uint8_t* dst, size_t cap, size_t* n) {
#ifdef SLUICE_NO_GZIP
  (void)dst;
  (void)cap;
  (void)n;
  return Status::Error("UNSUPPORTED_CODEC", "gzip: built without zlib");
#else
  z_stream& zs = State().zs;
  size_t got = 0;
  while (got < cap && !ended_) {
    const size_t in_chunk = std::min<size_t>(in_len_ - in_pos_, UINT_MAX);
    const size_t out_chunk = std::min<size_t>(cap - got, UINT_MAX);
    zs.next_in = const_cast<Bytef*>(in_ + in_pos_);
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = dst + got;
    zs.avail_out = static_cast<uInt>(out_chunk);
    const int ret = inflate(&zs, Z_NO_FLUSH);
    const size_t consumed = in_chunk - zs.avail_in;
    const size_t produced = out_chunk - zs.avail_out;
    in_pos_ += consumed;
    got += produced;
    if (ret == Z_STREAM_END) {
      // As Java's GZIPInputStream: on through concatenated members, anything else ignored.
      const bool another = in_len_ - in_pos_ >= 2 && in_[in_pos_] == 0x1f && in_[in_pos_ + 1] == 0x8b;
      if (!another) {
        ended_ = true;
      } else if (inflateReset(&zs) != Z_OK) {
        return Corrupt("gzip", "inflateReset failed");
      }
      continue;
    }
    if (ret == Z_MEM_ERROR) return Status::Error("ENOMEM", "gzip: out of memory");
    if (ret != Z_OK && ret != Z_BUF_ERROR) {
      return Corrupt("gzip", zs.msg != nullptr ? zs.msg : "invalid deflate stream");
    }
    if (consumed == 0 && produced == 0) return Corrupt("gzip", "unexpected end of input");
  }
  *n = got;
  return Status::Ok();
#endif
}

Status DecompressStream::NextSnappyBlock(bool* ended) {
  *ended = false;
  const uint8_t* block = nullptr;
  size_t block_in = 0;
  if (!xerial_) {
    if (in_pos_ == in_len_ && in_len_ != 0) {
      *ended = true;
      return Status::Ok();
    }
    block = in_;
    block_in = in_len_;
    in_pos_ = in_len_;
  } else {
    if (in_pos_ == in_len_) {
      *ended = true;
      return Status::Ok();
    }
    if (in_len_ - in_pos_ < 4) return Corrupt("snappy", "truncated xerial chunk length");
    const uint32_t chunk = (uint32_t{in_[in_pos_]} << 24) | (uint32_t{in_[in_pos_ + 1]} << 16) |
                           (uint32_t{in_[in_pos_ + 2]} << 8) | uint32_t{in_[in_pos_ + 3]};
    in_pos_ += 4;
    if (chunk > INT32_MAX || chunk > in_len_ - in_pos_) return Corrupt("snappy", "truncated xerial chunk");
    block = in_ + in_pos_;
    block_in = chunk;
    in_pos_ += chunk;
  }
  const char* p = reinterpret_cast<const char*>(block);
  size_t block_bytes = 0;
  if (!snappy::GetUncompressedLength(p, block_in, &block_bytes)) return Corrupt("snappy", "bad block header");
  if (block_bytes / kSnappyMaxExpansion > block_in)
    return Corrupt("snappy", "block length exceeds what its input can hold");
  if (block_bytes > max_output_bytes_ - std::min<uint64_t>(produced_, max_output_bytes_)) {
    return Status::Error("DECOMPRESSED_TOO_LARGE",
                         "decompressed records exceed " + std::to_string(max_output_bytes_) + " bytes");
  }
  ThreadState& st = State();
  if (block_bytes > st.block_cap) {
    st.block.reset(new (std::nothrow) uint8_t[block_bytes]);
    if (st.block == nullptr) {
      st.block_cap = 0;
      return Status::Error("ENOMEM", "snappy: out of memory");
    }
    st.block_cap = block_bytes;
  }
  // A block declaring no bytes is checked too: bytes after its header make it invalid for
  // readers (codecs.cc decompresses every block), so they must here as well.
  const bool valid = block_bytes == 0
                         ? snappy::IsValidCompressedBuffer(p, block_in)
                         : snappy::RawUncompress(p, block_in, reinterpret_cast<char*>(st.block.get()));
  if (!valid) return Corrupt("snappy", "invalid block");
  block_len_ = block_bytes;
  block_pos_ = 0;
  return Status::Ok();
}

Status DecompressStream::ReadSnappy(uint8_t* dst, size_t cap, size_t* n) {
  size_t got = 0;
  while (got < cap) {
    if (block_pos_ == block_len_) {
      bool ended = false;
      Status s = NextSnappyBlock(&ended);
      if (!s.ok()) return s;
      if (ended) {
        ended_ = true;
        break;
      }
      continue;
    }
    const size_t take = std::min(cap - got, block_len_ - block_pos_);
    std::memcpy(dst + got, State().block.get() + block_pos_, take);
    block_pos_ += take;
    got += take;
  }
  *n = got;
  return Status::Ok();
}

Status DecompressStream::ReadLz4(uint8_t* dst, size_t cap, size_t* n) {
  if (!deferred_.ok()) return deferred_;
  const std::vector<uint8_t>& out = State().lz4_out;
  const size_t take = std::min(cap, out.size() - block_pos_);
  if (take > 0) std::memcpy(dst, out.data() + block_pos_, take);
  block_pos_ += take;
  if (take == 0) ended_ = true;
  *n = take;
  return Status::Ok();
}

Status DecompressStream::ReadZstd(uint8_t* dst, size_t cap, size_t* n) {
  ZSTD_DCtx* dctx = State().zstd;
  ZSTD_inBuffer in = {in_, in_len_, in_pos_};
  ZSTD_outBuffer out = {dst, cap, 0};
  while (out.pos < out.size && !ended_) {
    const size_t in_before = in.pos;
    const size_t out_before = out.pos;
    const size_t ret = ZSTD_decompressStream(dctx, &out, &in);
    if (ZSTD_isError(ret)) return Corrupt("zstd", ZSTD_getErrorName(ret));
    if (ret == 0 && in.pos == in.size) {
      ended_ = true;  // the last frame decoded and flushed
      break;
    }
    if (in.pos == in_before && out.pos == out_before) return Corrupt("zstd", "unexpected end of input");
  }
  in_pos_ = in.pos;
  *n = out.pos;
  return Status::Ok();
}

}  // namespace sluice
