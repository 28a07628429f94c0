// Threads for the forward pass: one parallel region per operator call, whose threads then stay
// together for every timestep and meet at a spin barrier between steps (a fork/join per step
// costs more than a small step's arithmetic). OpenMP when built with it, else a small pool.
#pragma once

#include <atomic>
#include <functional>

namespace gatedrnn {

// Threads used when the caller does not say: the CPU's hardware threads.
int default_threads();
// Whether this build runs its regions on OpenMP.
bool parallel_uses_openmp();

// Runs fn(tid, nt) on nt == n threads at once, or on one thread with nt == 1 when n threads cannot
// be had (so barriers sized for n never wait for threads that do not exist); returns
// when all have returned. fn must not throw.
void parallel_run(int n, const std::function<void(int tid, int nt)>& fn);

// A sense-reversing barrier for a fixed group of threads. Waiters spin briefly (a rendezvous on
// two cores takes well under a microsecond) and then yield, so that an oversubscribed machine
// still makes progress.
class SpinBarrier {
 public:
  explicit SpinBarrier(int n = 1) : n_(n) {}
  void reset(int n) {
    n_ = n;
    count_.store(0, std::memory_order_relaxed);
  }
  void wait();

 private:
  int n_;
  alignas(64) std::atomic<int> count_{0};
  alignas(64) std::atomic<unsigned> generation_{0};
};

}  // namespace gatedrnn
