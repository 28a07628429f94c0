// AsyncLink: the one way an asynchronous call of the addon (runAsync, the trainer's steps, a
// native plan's run) reaches the runner threads and settles its promise on the JS thread.
#pragma once

#include <napi.h>

#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "cpu/task_runner.h"

namespace gatedrnn {

// Hands the asynchronous calls (runAsync, the trainer's steps) to the TaskRunner and their results
// back to the JS thread of the environment (main thread or worker) that started them, through a
// thread-safe function that keeps the event loop alive only while tasks are in flight. One per
// environment, made at its first asynchronous call. When the environment exits, its tasks that
// have not started are dropped and the running ones are waited for, so no task writes into memory
// of a torn-down environment.
class AsyncLink {
 public:
  // One asynchronous call: its outputs are allocated on the JS thread (in the subclass's
  // constructor, through allocate()), its arithmetic runs on a runner (compute()), and its promise
  // settles back on the JS thread (result()).
  class Task : public RunnerTask {
   public:
    Task(Napi::Env env, const char* out_of_memory)
        : deferred_(Napi::Promise::Deferred::New(env)), out_of_memory_(out_of_memory) {}

    void run() final {
      if (!error_.empty()) return;
      try {
        compute();
      } catch (const std::bad_alloc&) {
        error_ = out_of_memory_;
      } catch (const std::exception& e) {
        error_ = std::string("gatedrnn: ") + e.what();
      }
    }

    void finished() final { link_->finished(this); }

    // On the JS thread: resolves or rejects the promise.
    void settle(Napi::Env env) {
      if (error_.empty()) {
        deferred_.Resolve(result(env));
      } else {
        deferred_.Reject(Napi::Error::New(env, error_).Value());
      }
    }

   protected:
    // Runs fn, which allocates the outputs; running out of memory fails the call, not the caller.
    template <typename Fn>
    void allocate(Fn&& fn) {
      try {
        fn();
      } catch (const std::bad_alloc&) {
        error_ = out_of_memory_;
      }
    }

   private:
    friend class AsyncLink;
    Napi::Promise promise() const { return deferred_.Promise(); }
    virtual void compute() = 0;
    virtual Napi::Value result(Napi::Env env) = 0;

    AsyncLink* link_ = nullptr;
    Napi::Promise::Deferred deferred_;
    const char* out_of_memory_;
    std::string error_;
  };

  // On the JS thread: queues the task and returns its promise.
  static Napi::Promise submit(Napi::Env env, std::unique_ptr<Task> task) {
    Napi::Promise promise = task->promise();
    of(env).start(env, std::move(task));
    return promise;
  }

 private:
  static AsyncLink& of(Napi::Env env) {
    void* data = nullptr;
    if (napi_get_instance_data(env, &data) == napi_ok && data) return *static_cast<AsyncLink*>(data);
    auto* link = new AsyncLink();
    napi_value name;
    napi_threadsafe_function tsfn = nullptr;
    if (napi_create_string_utf8(env, "gatedrnn:forward", NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, link, release, link, deliver, &tsfn) != napi_ok) {
      delete link;
      throw Napi::Error::New(env, "gatedrnn: could not set up runAsync for this environment");
    }
    // From here the thread-safe function owns the link: its finalizer deletes it.
    link->tsfn_ = tsfn;
    napi_unref_threadsafe_function(env, tsfn);
    napi_set_instance_data(env, link, nullptr, nullptr);
    // Added after the thread-safe function, so it runs before that closes (hooks run last-in first-out).
    napi_add_env_cleanup_hook(env, teardown, link);
    return *link;
  }

  // Takes ownership of the task and queues it. (It cannot be delivered before this returns:
  // delivery runs on this thread.)
  void start(Napi::Env env, std::unique_ptr<Task> task) {
    task->owner = this;
    task->link_ = this;
    try {
      TaskRunner::instance().post(task.get());
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, std::string("gatedrnn: could not start a thread for an asynchronous call: ") + e.what());
    }
    task.release();
    if (in_flight_++ == 0) napi_ref_threadsafe_function(env, tsfn_);
  }

  AsyncLink() = default;

  // On the runner thread.
  void finished(Task* task) {
    bool signal;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_.push_back(task);
      signal = !signalled_;
      signalled_ = true;
    }
    if (signal) napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
  }

  // On the JS thread, called by the thread-safe function; env is null while it is being torn
  // down, when teardown() has already dealt with every task and the link may be gone.
  static void deliver(napi_env env, napi_value, void* context, void*) {
    if (env == nullptr) return;
    auto* link = static_cast<AsyncLink*>(context);
    std::vector<Task*> done;
    {
      std::lock_guard<std::mutex> lock(link->mu_);
      done.swap(link->done_);
      link->signalled_ = false;
    }
    for (Task* task : done) {
      try {
        task->settle(Napi::Env(env));
      } catch (...) {
        // Settling fails only when the environment can no longer run JS: nothing to tell.
      }
      delete task;
    }
    link->in_flight_ -= static_cast<int>(done.size());
    if (!done.empty() && link->in_flight_ == 0) napi_unref_threadsafe_function(env, link->tsfn_);
  }

  // On the JS thread, as its environment exits. Promises left unsettled: no JS runs any more.
  static void teardown(void* arg) {
    auto* link = static_cast<AsyncLink*>(arg);
    std::vector<RunnerTask*> left = TaskRunner::instance().cancel_and_wait(link);
    {
      std::lock_guard<std::mutex> lock(link->mu_);
      left.insert(left.end(), link->done_.begin(), link->done_.end());
      link->done_.clear();
    }
    for (RunnerTask* task : left) delete task;
  }

  static void release(napi_env, void* data, void*) { delete static_cast<AsyncLink*>(data); }

  napi_threadsafe_function tsfn_ = nullptr;
  std::mutex mu_;
  std::vector<Task*> done_;
  bool signalled_ = false;  // a delivery is pending on the JS thread
  int in_flight_ = 0;       // JS thread only
};

}  // namespace gatedrnn
