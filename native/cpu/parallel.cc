#include "parallel.h"

#include <condition_variable>
#include <cstdint>
#include <cstdlib>
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

namespace {
// About 20 µs of pausing: long enough for a thread that is merely a little behind.
constexpr int kSpinRounds = 1000;
}  // namespace

int default_threads() {
  // GATEDRNN_THREADS caps the default for code that passes no thread count (the training layers,
  // benchmarks at a fixed thread count); anything but a positive integer is ignored.
  static const int from_env = [] {
    const char* env = std::getenv("GATEDRNN_THREADS");
    char* end = nullptr;
    const long n = env ? std::strtol(env, &end, 10) : 0;
    return env && *env && *end == '\0' && n > 0 && n <= 4096 ? static_cast<int>(n) : 0;
  }();
  if (from_env > 0) return from_env;
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

void spin_wait(int spins) {
  if (spins < kSpinRounds) {
    GATEDRNN_PAUSE();
  } else {
    std::this_thread::yield();
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

void parallel_run_elastic(int n, const std::function<void(int, int)>& fn) { parallel_run(n, fn); }

#else

namespace {

// Persistent workers for builds without OpenMP. After a job a worker spins for a while before it
// sleeps, so that back-to-back calls start at once without keeping idle cores busy for long.
// One region runs on the pool at a time; a caller that finds it busy (another operator running on
// another thread) runs its region on its own thread.
class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_.store(true);
      epoch_.fetch_add(1);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  bool try_run(int n, const std::function<void(int, int)>& fn, bool elastic) {
    std::unique_lock<std::mutex> busy(run_mu_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    while (static_cast<int>(workers_.size()) < n - 1) {
      const int id = static_cast<int>(workers_.size()) + 1;
      workers_.emplace_back([this, id] { loop(id); });
    }
    job_.store(&fn, std::memory_order_relaxed);
    job_threads_.store(n, std::memory_order_relaxed);
    pending_.store(n - 1, std::memory_order_relaxed);
    {
      // Under the lock, so that a worker about to sleep either sees the new epoch or is woken.
      std::lock_guard<std::mutex> lock(mu_);
      // The gate first: a worker that sees the new epoch must find the gate of that epoch.
      const unsigned e = epoch_.load(std::memory_order_relaxed) + 1;
      gate_.store(static_cast<uint64_t>(e) << 32 | (elastic ? 0 : kOpenForAll), std::memory_order_relaxed);
      epoch_.store(e, std::memory_order_release);
    }
    if (sleepers_.load(std::memory_order_acquire) > 0) cv_.notify_all();
    fn(0, n);
    if (elastic) {
      // Workers that have not entered yet skip this job; wait only for those inside it.
      gate_.fetch_or(kClosed, std::memory_order_acq_rel);
      for (int spins = 0; (gate_.load(std::memory_order_acquire) & kInside) != 0; ++spins) wait_a_little(spins);
    } else {
      for (int spins = 0; pending_.load(std::memory_order_acquire) > 0; ++spins) wait_a_little(spins);
    }
    return true;
  }

 private:
  // About 30 µs of pausing before a worker sleeps: enough for the next call of a loop of calls,
  // short enough not to hold a core that other threads want. Beside threads that spin (another
  // engine's pool), a worker that is still spinning shares their core by time slices, while one
  // that sleeps is woken ahead of them; 0.3 ms measured slower there than both this and
  // sleeping at once (docs/performance.md).
  static constexpr int kIdleSpins = 2000;
  // gate_: the job's epoch in the high 32 bits; kClosed once an elastic job's caller is done;
  // kOpenForAll for a job every worker must run; the low bits count the workers inside the job.
  static constexpr uint64_t kClosed = 1ull << 31, kOpenForAll = 1ull << 30, kInside = kOpenForAll - 1;

  static void wait_a_little(int spins) {
    if (spins < 4000) {
      GATEDRNN_PAUSE();
    } else {
      std::this_thread::yield();
    }
  }

  // Whether this worker may run the job of epoch e: always for parallel_run; for an elastic job
  // only while its caller is still in it.
  bool enter(unsigned e) {
    uint64_t g = gate_.load(std::memory_order_acquire);
    while (static_cast<unsigned>(g >> 32) == e && !(g & kClosed)) {
      if (gate_.compare_exchange_weak(g, g + 1, std::memory_order_acq_rel)) return true;
    }
    return false;
  }

  void loop(int id) {
    unsigned seen = 0;
    for (;;) {
      unsigned e = epoch_.load(std::memory_order_acquire);
      for (int spins = 0; e == seen && spins < kIdleSpins; ++spins) {
        GATEDRNN_PAUSE();
        e = epoch_.load(std::memory_order_acquire);
      }
      if (e == seen) {
        std::unique_lock<std::mutex> lock(mu_);
        sleepers_.fetch_add(1, std::memory_order_acq_rel);
        cv_.wait(lock, [&] { return epoch_.load(std::memory_order_acquire) != seen; });
        sleepers_.fetch_sub(1, std::memory_order_acq_rel);
      }
      if (stop_.load()) return;
      // A consistent snapshot of the job of one epoch: retry if another run started meanwhile.
      const std::function<void(int, int)>* job;
      int n;
      do {
        e = epoch_.load(std::memory_order_acquire);
        job = job_.load(std::memory_order_relaxed);
        n = job_threads_.load(std::memory_order_relaxed);
      } while (epoch_.load(std::memory_order_acquire) != e);
      seen = e;
      if (id < n && enter(e)) {
        (*job)(id, n);
        pending_.fetch_sub(1, std::memory_order_acq_rel);
        gate_.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }

  std::mutex run_mu_, mu_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
  std::atomic<const std::function<void(int, int)>*> job_{nullptr};
  std::atomic<int> job_threads_{0}, pending_{0}, sleepers_{0};
  std::atomic<unsigned> epoch_{0};
  std::atomic<uint64_t> gate_{0};
  std::atomic<bool> stop_{false};
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

void parallel_run(int n, const std::function<void(int, int)>& fn) {
  if (n <= 1 || !pool().try_run(n, fn, false)) fn(0, 1);
}

void parallel_run_elastic(int n, const std::function<void(int, int)>& fn) {
  if (n <= 1 || !pool().try_run(n, fn, true)) fn(0, 1);
}

#endif

}  // namespace gatedrnn
