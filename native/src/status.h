// Status: how native code reports operating errors internally (LevelDB style). Only the
// N-API layer (napi_util.h) turns a non-ok Status into a thrown JS NativeError.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace sluice {

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  // An errno-based failure of `syscall` on `path`.
  static Status FromErrno(int err, const char* syscall, std::string path = {}) {
    Status s;
    s.ok_ = false;
    s.code_ = ErrnoName(err);
    s.syscall_ = syscall;
    s.path_ = std::move(path);
    s.message_ = std::string(syscall) + " failed: " + std::strerror(err);
    if (!s.path_.empty()) s.message_ += " (" + s.path_ + ")";
    return s;
  }
  // A failure of ours: code is an UPPER_SNAKE name such as "CORRUPT_BATCH".
  static Status Error(std::string code, std::string message, std::string path = {}) {
    Status s;
    s.ok_ = false;
    s.code_ = std::move(code);
    s.message_ = std::move(message);
    s.path_ = std::move(path);
    return s;
  }

  bool ok() const { return ok_; }
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& syscall() const { return syscall_; }
  const std::string& path() const { return path_; }

  static const char* ErrnoName(int err) {
    switch (err) {
      case ENOENT: return "ENOENT";
      case EEXIST: return "EEXIST";
      case EACCES: return "EACCES";
      case EPERM: return "EPERM";
      case ENOSPC: return "ENOSPC";
      case EIO: return "EIO";
      case EBADF: return "EBADF";
      case EINVAL: return "EINVAL";
      case EROFS: return "EROFS";
      case EMFILE: return "EMFILE";
      case ENFILE: return "ENFILE";
      case ENOMEM: return "ENOMEM";
      case EISDIR: return "EISDIR";
      case ENOTDIR: return "ENOTDIR";
      case EFBIG: return "EFBIG";
      case EDQUOT: return "EDQUOT";
      case EINTR: return "EINTR";
      case EAGAIN: return "EAGAIN";
      default: return "EUNKNOWN";
    }
  }

 private:
  bool ok_ = true;
  std::string code_;
  std::string message_;
  std::string syscall_;
  std::string path_;
};

}  // namespace sluice
