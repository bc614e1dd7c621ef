// File primitives (see fs_ops.h) and the directory/file operations JS calls: fsyncDir,
// unlinkFiles, writeFileAtomic(Sync). The async ones run on the libuv pool so a slow disk
// never stalls the event loop.
#include "fs_ops.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "napi_util.h"
#include "promise_worker.h"

namespace sluice {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

Status UniqueFd::Close(const std::string& path) {
  if (fd_ < 0) return Status::Ok();
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0 && errno != EINTR) return Status::FromErrno(errno, "close", path);
  return Status::Ok();
}

void UniqueFd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status OpenFile(const std::string& path, int flags, mode_t mode, UniqueFd* out) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Status::FromErrno(errno, "open", path);
  *out = UniqueFd(fd);
  return Status::Ok();
}

Status FileSize(int fd, const std::string& path, uint64_t* size) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::FromErrno(errno, "fstat", path);
  *size = static_cast<uint64_t>(st.st_size);
  return Status::Ok();
}

Status PreadFully(int fd, uint8_t* buf, size_t len, uint64_t position, const std::string& path, size_t* got) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, buf + done, len - done, static_cast<off_t>(position + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "pread", path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  *got = done;
  return Status::Ok();
}

Status PwriteFully(int fd, const uint8_t* buf, size_t len, uint64_t position, const std::string& path) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pwrite(fd, buf + done, len - done, static_cast<off_t>(position + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "pwrite", path);
    }
    // A zero-byte write of a non-empty range would loop forever; the kernel only does it
    // when it cannot make progress, which is an I/O error for us.
    if (n == 0) return Status::FromErrno(EIO, "pwrite", path);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status PwritevFully(int fd, std::vector<iovec>* iov, uint64_t position, const std::string& path) {
  size_t i = 0;
  std::vector<iovec>& v = *iov;
  while (i < v.size() && v[i].iov_len == 0) i++;
  while (i < v.size()) {
    int count = static_cast<int>(std::min<size_t>(v.size() - i, IOV_MAX));
    ssize_t n = ::pwritev(fd, v.data() + i, count, static_cast<off_t>(position));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "pwritev", path);
    }
    if (n == 0) return Status::FromErrno(EIO, "pwritev", path);
    position += static_cast<uint64_t>(n);
    size_t left = static_cast<size_t>(n);
    while (i < v.size() && left >= v[i].iov_len) {
      left -= v[i].iov_len;
      i++;
    }
    if (left > 0) {
      v[i].iov_base = static_cast<uint8_t*>(v[i].iov_base) + left;
      v[i].iov_len -= left;
    }
    while (i < v.size() && v[i].iov_len == 0) i++;
  }
  return Status::Ok();
}

Status Ftruncate(int fd, uint64_t size, const std::string& path) {
  int rc;
  do {
    rc = ::ftruncate(fd, static_cast<off_t>(size));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Status::FromErrno(errno, "ftruncate", path);
  return Status::Ok();
}

Status Fdatasync(int fd, const std::string& path) {
  int rc;
  do {
    rc = ::fdatasync(fd);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Status::FromErrno(errno, "fdatasync", path);
  return Status::Ok();
}

Status Fsync(int fd, const std::string& path) {
  int rc;
  do {
    rc = ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Status::FromErrno(errno, "fsync", path);
  return Status::Ok();
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status FsyncDir(const std::string& path) {
  UniqueFd fd;
  Status s = OpenFile(path, O_RDONLY | O_DIRECTORY, 0, &fd);
  if (!s.ok()) return s;
  s = Fsync(fd.get(), path);
  if (!s.ok()) return s;
  return fd.Close(path);
}

Status UnlinkFiles(const std::vector<std::string>& paths) {
  Status first;
  for (const std::string& p : paths) {
    if (::unlink(p.c_str()) != 0 && errno != ENOENT && first.ok()) {
      first = Status::FromErrno(errno, "unlink", p);
    }
  }
  return first;
}

Status WriteFileAtomic(const std::string& path, const uint8_t* data, size_t len) {
  const std::string tmp = path + ".tmp";
  Status s;
  {
    UniqueFd fd;
    s = OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644, &fd);
    if (!s.ok()) return s;
    s = PwriteFully(fd.get(), data, len, 0, tmp);
    if (s.ok()) s = Fsync(fd.get(), tmp);
    // close() can report a deferred write error (NFS); it must be seen before the rename
    // publishes the file.
    Status closed = fd.Close(tmp);
    if (s.ok()) s = closed;
  }
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = Status::FromErrno(errno, "rename", path);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  return FsyncDir(ParentDir(path));
}

namespace {

class FsyncDirWorker : public PromiseWorker {
 public:
  FsyncDirWorker(Napi::Env env, std::string path)
      : PromiseWorker(env, "sluice.fsyncDir"), path_(std::move(path)) {}

 protected:
  Status Run() override { return FsyncDir(path_); }

 private:
  std::string path_;
};

class UnlinkWorker : public PromiseWorker {
 public:
  UnlinkWorker(Napi::Env env, std::vector<std::string> paths)
      : PromiseWorker(env, "sluice.unlinkFiles"), paths_(std::move(paths)) {}

 protected:
  Status Run() override { return UnlinkFiles(paths_); }

 private:
  std::vector<std::string> paths_;
};

class WriteAtomicWorker : public PromiseWorker {
 public:
  WriteAtomicWorker(Napi::Env env, std::string path, Napi::Buffer<uint8_t> data)
      : PromiseWorker(env, "sluice.writeFileAtomic"),
        path_(std::move(path)),
        data_ref_(Napi::Persistent(data)),
        data_(data.Data()),
        len_(data.Length()) {}

 protected:
  // data_ref_ keeps the Buffer (and so data_) alive until the worker is destroyed on the
  // JS thread, after the write finished.
  Status Run() override { return WriteFileAtomic(path_, data_, len_); }

 private:
  std::string path_;
  Napi::Reference<Napi::Buffer<uint8_t>> data_ref_;
  const uint8_t* data_;
  size_t len_;
};

Napi::Value JS_FsyncDir(const Napi::CallbackInfo& info) {
  std::string path;
  if (!ArgString(info, 0, &path)) return info.Env().Undefined();
  auto* worker = new FsyncDirWorker(info.Env(), std::move(path));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value JS_UnlinkFiles(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) {
    ThrowTypeError(env, "unlinkFiles(paths) expects an array of strings");
    return env.Undefined();
  }
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<std::string> paths;
  paths.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsString()) {
      ThrowTypeError(env, "unlinkFiles(paths) expects an array of strings");
      return env.Undefined();
    }
    paths.push_back(v.As<Napi::String>().Utf8Value());
  }
  auto* worker = new UnlinkWorker(env, std::move(paths));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value JS_WriteFileAtomic(const Napi::CallbackInfo& info) {
  std::string path;
  Napi::Buffer<uint8_t> data;
  if (!ArgString(info, 0, &path) || !ArgBuffer(info, 1, &data)) return info.Env().Undefined();
  auto* worker = new WriteAtomicWorker(info.Env(), std::move(path), data);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value JS_WriteFileAtomicSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  Napi::Buffer<uint8_t> data;
  if (!ArgString(info, 0, &path) || !ArgBuffer(info, 1, &data)) return env.Undefined();
  Status s = WriteFileAtomic(path, data.Data(), data.Length());
  if (!s.ok()) ThrowStatus(env, s);
  return env.Undefined();
}

// RLIMIT_NOFILE of this process as { soft, hard } (Infinity when unlimited): the segment
// handle cache stays below the soft limit so sockets and the listener always find fds.
Napi::Value JS_OpenFileLimit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct rlimit rl;
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    ThrowStatus(env, Status::FromErrno(errno, "getrlimit", "RLIMIT_NOFILE"));
    return env.Undefined();
  }
  auto value = [&](rlim_t v) {
    return Napi::Number::New(env, v == RLIM_INFINITY ? INFINITY : static_cast<double>(v));
  };
  Napi::Object out = Napi::Object::New(env);
  out.Set("soft", value(rl.rlim_cur));
  out.Set("hard", value(rl.rlim_max));
  return out;
}

}  // namespace

void InitFsOps(Napi::Env env, Napi::Object exports) {
  exports.Set("fsyncDir", Napi::Function::New(env, JS_FsyncDir, "fsyncDir"));
  exports.Set("unlinkFiles", Napi::Function::New(env, JS_UnlinkFiles, "unlinkFiles"));
  exports.Set("writeFileAtomic", Napi::Function::New(env, JS_WriteFileAtomic, "writeFileAtomic"));
  exports.Set("writeFileAtomicSync", Napi::Function::New(env, JS_WriteFileAtomicSync, "writeFileAtomicSync"));
  exports.Set("openFileLimit", Napi::Function::New(env, JS_OpenFileLimit, "openFileLimit"));
}

}  // namespace sluice
