// The threads that run the addon's asynchronous calls (runAsync, and the trainer's forwardAsync
// and backwardAsync) in place of libuv's thread pool. A libuv worker sleeps on a futex between
// jobs, and waking it costs 20 to 70 µs on a VM: more than the arithmetic of a small call. A
// runner that has just finished a task keeps polling for the next one for a fraction of a
// millisecond before it sleeps, so back-to-back calls start at once. Tasks start in the order
// posted, on up to kMaxRunners threads at once (libuv's default pool size), shared by every JS
// environment of the process (main thread and workers).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace gatedrnn {

class RunnerTask {
 public:
  virtual ~RunnerTask() = default;
  // On a runner thread. Must not throw.
  virtual void run() = 0;
  // On the runner thread, right after run(): hands the task over to its owner, who may delete it
  // from then on. Must not throw.
  virtual void finished() = 0;
  // Whose task it is, for cancel_and_wait.
  const void* owner = nullptr;
  // Whether the runner that finishes it should poll for the next task before it sleeps: worth a
  // core for a moment where calls are short and come back to back (inference); a training step is
  // long, and polling after it would only take a core from the rest of the process.
  bool poll_after = true;
};

class TaskRunner {
 public:
  static constexpr int kMaxRunners = 4;

  // The process's runner. Never destroyed: a task still running when the process exits must not
  // find its threads joined under it.
  static TaskRunner& instance();

  // Queues the task; a runner starts it when one is free. Throws, queueing nothing, only when no
  // runner thread exists and none can be started.
  void post(RunnerTask* task);

  // Takes back the owner's tasks that have not started (the caller deletes them) and waits until
  // none of its tasks is running any more (each has returned from finished()).
  std::vector<RunnerTask*> cancel_and_wait(const void* owner);

  // Runner threads started so far (for tests).
  int threads() const;

 private:
  TaskRunner() = default;
  void loop();
  // Polls for a new post for a while; false when none came.
  bool spin_for_post();

  mutable std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<RunnerTask*> queue_;
  std::vector<const void*> running_;  // the owner of every running task
  std::vector<std::thread> threads_;
  int sleepers_ = 0;
  int computing_ = 0;  // runners inside run()
  bool spinning_ = false;  // one idle runner polls at a time; the others sleep
  std::atomic<uint64_t> posts_{0};
};

}  // namespace gatedrnn
