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

// One round of a thread's wait for work that other threads are running: a CPU pause for the first
// rounds (the usual wait, a few microseconds), then a yield of the core, so that a thread that
// waits on a descheduled one does not hold the core the other could run on.
void spin_wait(int spins);

// Runs fn(tid, nt) on nt == n threads at once, or on one thread with nt == 1 when n threads cannot
// be had (so work split n ways never waits for threads that do not exist); returns when all
// have returned. fn must not throw.
void parallel_run(int n, const std::function<void(int tid, int nt)>& fn);

// Like parallel_run, but for work that any subset of its threads can finish (PhaseShares): a
// pool worker that wakes only after the caller has returned from fn(0, nt) skips the call, so a
// worker that the OS has descheduled (a loaded machine) costs the caller nothing. Returns when
// every thread that started fn has returned.
void parallel_run_elastic(int n, const std::function<void(int tid, int nt)>& fn);

// The work of a group of threads, cut into shares and run phase after phase (a timestep, or half
// of one), with every share of a phase done before any share of the next starts. Each member owns
// a run of shares (one, or several when a phase is cut finer than the members) and claims them
// first, so in the usual case a thread keeps the same slice of the weights in its caches at every
// step. A thread with nothing left of its own takes the shares of a run whose owner is at work
// from the run's end, at once: a member that starts a phase late (preempted: more runnable
// threads than cores, a loaded server) still finds its first shares, and nobody waits idle while
// shares are left. A run that nobody has started after a short wait is done by whoever is waiting,
// so one descheduled thread does not stall every step of the sequence. One cache line per share
// holds its claim and completion counters.
class PhaseShares {
 public:
  static constexpr int kMaxMembers = 64;

  // Before the threads start: `n` shares (at most kMaxMembers), owned by `owners` members in
  // contiguous runs (split_range); owners <= 0: one share each.
  void reset(int n, int owners = 0) {
    n_ = n;
    owners_ = owners > 0 && owners < n ? owners : n;
    for (int o = 0; o < owners_; ++o) {
      int begin, end;
      split_range(n_, owners_, o, begin, end);
      for (int m = begin; m < end; ++m) {
        owner_[m] = o;
        head_[m] = begin;
      }
    }
    for (auto& slot : slots_) {
      slot.claimed.store(0, std::memory_order_relaxed);
      slot.done.store(0, std::memory_order_relaxed);
    }
  }

  // Per thread: the phase it is in and, per owner, the last phase in which it took a share of that
  // owner's run while the owner had not started it (in the next phase it takes them at once: the
  // owner is still away).
  struct Cursor {
    unsigned long phase = 0;
    unsigned long taken[kMaxMembers] = {};
  };

  // Runs work(share) for the shares of the next phase that this thread claims and returns when
  // every share of the phase is done. `me` is the member's index, or -1 for a helper from
  // outside the group that owns none. Every member calls it the same number of times; one that
  // falls behind (or a helper that joins late) skips the phases already done. work must not throw.
  template <class Work>
  void run_phase(int me, Cursor& cur, Work&& work) {
    const unsigned long p = ++cur.phase;
    int own_begin = 0, own_end = 0;
    if (me >= 0 && me < owners_) split_range(n_, owners_, me, own_begin, own_end);
    for (int m = own_begin; m < own_end; ++m)
      if (claim(m, p)) finish(m, p, work);
    // Every share is waited for, this thread's own too when another took them: the next phase may
    // start only when all of this one is done. Other runs are walked from their ends, towards
    // their owners.
    for (int i = 0; i < n_; ++i) {
      const int m = (own_begin + n_ - 1 - i) % n_;
      const int o = owner_[m];
      bool wait_only = m >= own_begin && m < own_end;
      for (int spins = 0; slots_[m].done.load(std::memory_order_acquire) < p; ++spins) {
        if (!wait_only && (slots_[head_[m]].claimed.load(std::memory_order_relaxed) >= p || spins >= kStealAfterSpins ||
                           (cur.taken[o] != 0 && cur.taken[o] + 1 >= p))) {
          const bool owner_away = slots_[head_[m]].claimed.load(std::memory_order_relaxed) < p;
          if (claim(m, p)) {
            if (owner_away) cur.taken[o] = p;
            finish(m, p, work);
            break;
          }
          wait_only = true;
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
  int n_ = 1, owners_ = 1;
  int owner_[kMaxMembers] = {}, head_[kMaxMembers] = {};  // per share: its owner, its run's first share
  Slot slots_[kMaxMembers];
};

}  // namespace gatedrnn
