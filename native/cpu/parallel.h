// Threads for the forward pass: one parallel region per operator call, whose threads then stay
// together for every timestep and meet at a spin barrier between steps (a fork/join per step
// costs more than a small step's arithmetic). A built-in pool, or OpenMP in a GATEDRNN_OPENMP build.
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

// A barrier for a fixed group of up to kMaxMembers threads, made of one counter per member on
// its own cache line: arriving is a store to one's own line, waiting is reading the others'. A
// rendezvous of two cores then moves one cache line each way (a shared counter moves two).
// Waiters spin briefly and then yield, so an oversubscribed machine still makes progress.
class SpinBarrier {
 public:
  static constexpr int kMaxMembers = 64;

  void reset(int n) {
    n_ = n;
    for (auto& slot : slots_) slot.arrivals.store(0, std::memory_order_relaxed);
  }
  // `me` in [0, n); every member calls wait() the same number of times.
  void wait(int me);

 private:
  struct alignas(64) Slot {
    std::atomic<unsigned long> arrivals{0};
  };
  int n_ = 1;
  Slot slots_[kMaxMembers];
};

}  // namespace gatedrnn
