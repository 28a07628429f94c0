#include "task_runner.h"

#include <algorithm>
#include <chrono>

namespace gatedrnn {

namespace {

// How long an idle runner polls before it sleeps: the compute pool's workers spin about as long.
// It polls with sched_yield rather than a pause loop, so that a thread woken on its core (the JS
// thread taking the result, a sync call's second worker) gets the core at once.
constexpr auto kIdlePoll = std::chrono::microseconds(30);

}  // namespace

TaskRunner& TaskRunner::instance() {
  static TaskRunner* runner = new TaskRunner();
  return *runner;
}

void TaskRunner::post(RunnerTask* task) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int queued = static_cast<int>(queue_.size()) + 1;
    // A new thread when the runners not inside a task are fewer than the waiting tasks. A runner
    // that is handing its result over counts as free: it takes the next task right after.
    if (queued > static_cast<int>(threads_.size()) - computing_ && static_cast<int>(threads_.size()) < kMaxRunners) {
      try {
        threads_.emplace_back([this] { loop(); });
      } catch (...) {
        if (threads_.empty()) throw;  // nothing could ever run the task: the caller is told
      }
    }
    queue_.push_back(task);
    posts_.fetch_add(1, std::memory_order_release);
    // The polling runner takes one task; a sleeper is woken for each task beyond it.
    wake = sleepers_ > 0 && queued > (spinning_ ? 1 : 0);
  }
  if (wake) work_cv_.notify_one();
}

std::vector<RunnerTask*> TaskRunner::cancel_and_wait(const void* owner) {
  std::unique_lock<std::mutex> lock(mu_);
  std::vector<RunnerTask*> taken;
  for (auto it = queue_.begin(); it != queue_.end();) {
    if ((*it)->owner == owner) {
      taken.push_back(*it);
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  done_cv_.wait(lock, [&] { return std::find(running_.begin(), running_.end(), owner) == running_.end(); });
  return taken;
}

int TaskRunner::threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(threads_.size());
}

bool TaskRunner::spin_for_post() {
  const uint64_t seen = posts_.load(std::memory_order_acquire);
  const auto until = std::chrono::steady_clock::now() + kIdlePoll;
  for (int i = 0;; ++i) {
    if (posts_.load(std::memory_order_acquire) != seen) return true;
    if ((i & 7) == 7 && std::chrono::steady_clock::now() > until) return false;
    std::this_thread::yield();
  }
}

void TaskRunner::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  bool polled = false;  // this runner has polled since its last task, or is not to poll
  for (;;) {
    if (!queue_.empty()) {
      RunnerTask* task = queue_.front();
      queue_.pop_front();
      // Read before finished(): from then on the owner may delete the task.
      const void* owner = task->owner;
      const bool poll_after = task->poll_after;
      running_.push_back(owner);
      ++computing_;
      lock.unlock();
      task->run();
      lock.lock();
      --computing_;
      lock.unlock();
      task->finished();
      lock.lock();
      running_.erase(std::find(running_.begin(), running_.end(), owner));
      done_cv_.notify_all();
      polled = !poll_after;  // nothing to poll for: straight to sleep when the queue is empty
      continue;
    }
    if (!spinning_ && !polled) {
      spinning_ = true;
      lock.unlock();
      polled = !spin_for_post();
      lock.lock();
      spinning_ = false;
      continue;  // whatever the poll saw, the queue is checked again under the lock
    }
    polled = false;
    ++sleepers_;
    work_cv_.wait(lock);
    --sleepers_;
  }
}

}  // namespace gatedrnn
