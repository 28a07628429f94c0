// Threads for the recurrences: one parallel region per operator call, whose threads then stay
// together for every timestep and hand over between steps through PhaseShares (a fork/join per
// step costs more than a small step's arithmetic). A built-in pool, or OpenMP in a
// GATEDRNN_OPENMP build.
#pragma once

#include <atomic>
#include <functional>

namespace gatedrnn {

// [begin, end) of part `i` when `n` items are split into `parts` nearly equal parts.
inline void split_range(int n, int parts, int i, int& begin, int& end) {
  const int base = n / parts, extra = n % parts;
  begin = i * base + (i < extra ? i : extra);
  end = begin + base + (i < extra ? 1 : 0);
}

// Threads used when the caller does not say: the CPU's hardware threads.
int default_threads();
// Whether this build runs its regions on OpenMP.
bool parallel_uses_openmp();

// Runs fn(tid, nt) on nt == n threads at once, or on one thread with nt == 1 when n threads cannot
// be had (so work split n ways never waits for threads that do not exist); returns when all
// have returned. fn must not throw.
void parallel_run(int n, const std::function<void(int tid, int nt)>& fn);

// Like parallel_run, but for work that any subset of its threads can finish (PhaseShares): a
// pool worker that wakes only after the caller has returned from fn(0, nt) skips the call, so a
// worker that the OS has descheduled (a loaded machine) costs the caller nothing. Returns when
// every thread that started fn has returned.
void parallel_run_elastic(int n, const std::function<void(int tid, int nt)>& fn);

// The work of a group of threads, cut into one share per member and run phase after phase
// (a timestep, or half of one), with every share of a phase done before any share of the next
// starts. Each member claims its own share first, so in the usual case a thread keeps the same
// slice of the weights in its caches at every step. A member that has not claimed its share
// after a short wait (preempted: more runnable threads than cores, a loaded server) has it done
// by whoever is waiting, so one descheduled thread no longer stalls every step of the sequence.
// One cache line per share holds its claim and completion counters.
class PhaseShares {
 public:
  static constexpr int kMaxMembers = 64;

  // Before the threads start; `n` shares.
  void reset(int n) {
    n_ = n;
    for (auto& slot : slots_) {
      slot.claimed.store(0, std::memory_order_relaxed);
      slot.done.store(0, std::memory_order_relaxed);
    }
  }

  // Per thread: the phase it is in and, per share, the last phase in which it took that share
  // from its owner (a share taken in the previous phase is taken at once: its owner is still away).
  struct Cursor {
    unsigned long phase = 0;
    unsigned long taken[kMaxMembers] = {};
  };

  // Runs work(share) for the shares of the next phase that this thread claims and returns when
  // every share of the phase is done. `me` is the member's own share, or -1 for a helper from
  // outside the group that owns none. Every member calls it the same number of times; one that
  // falls behind (or a helper that joins late) skips the phases already done. work must not throw.
  template <class Work>
  void run_phase(int me, Cursor& cur, Work&& work) {
    const unsigned long p = ++cur.phase;
    if (me >= 0 && claim(me, p)) finish(me, p, work);
    // Every share is waited for, this thread's own too when another took it: the next phase may
    // start only when all of this one is done.
    const int first = me >= 0 ? me : 0;
    for (int i = 0; i < n_; ++i) {
      const int m = (first + i) % n_;
      bool owner_has_it = me >= 0 && i == 0;
      for (int spins = 0; slots_[m].done.load(std::memory_order_acquire) < p; ++spins) {
        if (!owner_has_it && (spins >= kStealAfterSpins || (cur.taken[m] != 0 && cur.taken[m] + 1 == p))) {
          if (claim(m, p)) {
            cur.taken[m] = p;
            finish(m, p, work);
            break;
          }
          owner_has_it = true;
        }
        pause_or_yield(spins);
      }
    }
  }

 private:
  // About 20 µs of pausing covers an owner that is merely a little behind.
  static constexpr int kStealAfterSpins = 1000;

  bool claim(int m, unsigned long p) {
    unsigned long expected = p - 1;
    return slots_[m].claimed.load(std::memory_order_relaxed) == expected &&
           slots_[m].claimed.compare_exchange_strong(expected, p, std::memory_order_acq_rel);
  }
  template <class Work>
  void finish(int m, unsigned long p, Work& work) {
    work(m);
    slots_[m].done.store(p, std::memory_order_release);
  }
  static void pause_or_yield(int spins);

  struct alignas(64) Slot {
    std::atomic<unsigned long> claimed{0}, done{0};
  };
  int n_ = 1;
  Slot slots_[kMaxMembers];
};

}  // namespace gatedrnn
