#include "parallel.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#ifdef GATEDRNN_OPENMP
#include <omp.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GATEDRNN_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define GATEDRNN_PAUSE() __asm__ __volatile__("yield")
#else
#define GATEDRNN_PAUSE() ((void)0)
#endif

namespace gatedrnn {

int default_threads() {
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

bool parallel_uses_openmp() {
#ifdef GATEDRNN_OPENMP
  return true;
#else
  return false;
#endif
}

void SpinBarrier::wait() {
  if (n_ <= 1) return;
  const unsigned gen = generation_.load(std::memory_order_acquire);
  if (count_.fetch_add(1, std::memory_order_acq_rel) == n_ - 1) {
    count_.store(0, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    return;
  }
  // About 20 µs of pausing covers any on-time partner; past that the partner was probably
  // preempted (more runnable threads than cores), and yielding lets it run.
  for (int spins = 0; generation_.load(std::memory_order_acquire) == gen; ++spins) {
    if (spins < 1000) {
      GATEDRNN_PAUSE();
    } else {
      std::this_thread::yield();
    }
  }
}

#ifdef GATEDRNN_OPENMP

void parallel_run(int n, const std::function<void(int, int)>& fn) {
  if (n <= 1) {
    fn(0, 1);
    return;
  }
  // Callers size their barriers for n threads: a smaller team (thread limits, nesting) runs the
  // whole region on one thread instead.
#pragma omp parallel num_threads(n)
  {
    if (omp_get_num_threads() == n) {
      fn(omp_get_thread_num(), n);
    } else if (omp_get_thread_num() == 0) {
      fn(0, 1);
    }
  }
}

#else

namespace {

// Persistent workers for builds without OpenMP. One region runs at a time on the pool; a caller
// that finds it busy (another operator running on another thread) gets threads of its own.
class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  bool try_run(int n, const std::function<void(int, int)>& fn) {
    std::unique_lock<std::mutex> busy(run_mu_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (static_cast<int>(workers_.size()) < n - 1) {
        const int id = static_cast<int>(workers_.size()) + 1;
        workers_.emplace_back([this, id] { loop(id); });
      }
      job_ = &fn;
      job_threads_ = n;
      pending_ = n - 1;
      ++epoch_;
    }
    cv_.notify_all();
    fn(0, n);
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
    return true;
  }

 private:
  void loop(int id) {
    unsigned seen = 0;
    for (;;) {
      const std::function<void(int, int)>* job;
      int n;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || epoch_ != seen; });
        if (stop_) return;
        seen = epoch_;
        job = job_;
        n = job_threads_;
      }
      if (id < n) {
        (*job)(id, n);
        std::lock_guard<std::mutex> lock(mu_);
        if (--pending_ == 0) done_cv_.notify_one();
      }
    }
  }

  std::mutex run_mu_, mu_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* job_ = nullptr;
  int job_threads_ = 0, pending_ = 0;
  unsigned epoch_ = 0;
  bool stop_ = false;
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

void parallel_run(int n, const std::function<void(int, int)>& fn) {
  if (n <= 1) {
    fn(0, 1);
    return;
  }
  if (pool().try_run(n, fn)) return;
  std::vector<std::thread> extra;
  for (int id = 1; id < n; ++id) extra.emplace_back([&fn, id, n] { fn(id, n); });
  fn(0, n);
  for (auto& t : extra) t.join();
}

#endif

}  // namespace gatedrnn
