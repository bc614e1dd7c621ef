// An AsyncWorker that settles a Promise from a Status: Run() executes on the libuv pool and
// returns a Status; on the JS thread an ok Status resolves with Result(), any other rejects
// with the NativeError built from it. Subclasses never touch JS values inside Run().
#pragma once

#include <napi.h>

#include "napi_util.h"
#include "status.h"

namespace sluice {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, const char* resource_name)
      : Napi::AsyncWorker(env, resource_name), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  // On the thread pool.
  virtual Status Run() = 0;
  // On the JS thread, after Run() succeeded.
  virtual Napi::Value Result(Napi::Env env) { return env.Undefined(); }

 private:
  void Execute() override { status_ = Run(); }

  void OnOK() override {
    Napi::Env env = Env();
    if (!status_.ok()) {
      Napi::Value err = MakeError(env, status_);
      if (env.IsExceptionPending()) {
        deferred_.Reject(env.GetAndClearPendingException().Value());
      } else {
        deferred_.Reject(err);
      }
      return;
    }
    Napi::Value value = Result(env);
    if (env.IsExceptionPending()) {
      deferred_.Reject(env.GetAndClearPendingException().Value());
      return;
    }
    deferred_.Resolve(value);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

  Napi::Promise::Deferred deferred_;
  Status status_;
};

// A Promise already rejected with `s`, for async methods called in a state that cannot run.
inline Napi::Value RejectedPromise(Napi::Env env, const Status& s) {
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  Napi::Value err = MakeError(env, s);
  if (env.IsExceptionPending()) {
    deferred.Reject(env.GetAndClearPendingException().Value());
  } else {
    deferred.Reject(err);
  }
  return deferred.Promise();
}

}  // namespace sluice
