// POSIX file primitives shared by the segment file, the index files and the fs operations
// exported to JS. Every call retries EINTR and reports failure as a Status naming the syscall
// and the path, so the JS side sees one NativeError shape for every I/O failure.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace sluice {

// Owns one file descriptor and closes it exactly once. Segment and index files hold it
// through a shared_ptr so work queued on the thread pool keeps the fd open after the JS
// object's close(): the fd number can never be reused under an in-flight fdatasync.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& other) noexcept;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes now. Linux releases the descriptor even when close() reports an error, so the
  // error is returned for reporting but never retried (a retry could close a reused fd).
  Status Close(const std::string& path);
  void Reset();

 private:
  int fd_ = -1;
};

Status OpenFile(const std::string& path, int flags, mode_t mode, UniqueFd* out);
Status FileSize(int fd, const std::string& path, uint64_t* size);

// Reads until `len` bytes or end of file; `*got` is the number read.
Status PreadFully(int fd, uint8_t* buf, size_t len, uint64_t position, const std::string& path, size_t* got);
// Writes all of `len` bytes at `position`, continuing after short writes.
Status PwriteFully(int fd, const uint8_t* buf, size_t len, uint64_t position, const std::string& path);
// Writes all of `iov` at `position` with as few pwritev calls as IOV_MAX allows. Consumes
// (edits) the iovec array.
Status PwritevFully(int fd, std::vector<iovec>* iov, uint64_t position, const std::string& path);
Status Ftruncate(int fd, uint64_t size, const std::string& path);
Status Fdatasync(int fd, const std::string& path);
Status Fsync(int fd, const std::string& path);

// The directory holding `path` ("." for a bare name, "/" for a file in the root).
std::string ParentDir(const std::string& path);
// Opens the directory and fsyncs it so a create/rename/unlink inside it is durable.
Status FsyncDir(const std::string& path);
// Unlinks every path; a missing file is not an error. Tries all, returns the first failure.
Status UnlinkFiles(const std::vector<std::string>& paths);
// `path`.tmp ← data, fsync, rename over `path`, fsync the parent directory. On failure the
// temp file is removed (best effort) and `path` keeps its old content.
Status WriteFileAtomic(const std::string& path, const uint8_t* data, size_t len);

}  // namespace sluice
