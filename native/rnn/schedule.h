// The schedule that the inference pass (rnn_forward.cc) and the training passes (rnn_train.cc)
// share, so that both tile, thread and carve their workspace alike: the step tile, the sequence
// lengths of a call, the thread groups (one per direction) with their per-phase shares, and the
// pieces of one workspace buffer.
#pragma once

#include <algorithm>
#include <cstddef>
#include <atomic>
#include <initializer_list>
#include <vector>

#include "../common/spec.h"
#include "../cpu/parallel.h"

namespace gatedrnn {

// Rows of the recurrent GEMM per call and, at most, blocks of hidden units per call: the step tile.
constexpr int kTileRows = 4;
constexpr int kTileBlocks = 8;
// Rows (timesteps x batch entries) the input projection of one chunk should cover, so that each
// W panel read from memory serves many rows.
constexpr int kChunkRows = 32;
// Below this many multiply-adds per step, a second thread in the recurrence costs more in
// synchronization than it saves.
constexpr double kMinStepWorkPerThread = 12 * 1024;

// A phase is cut into at most this many shares per member, each of this many multiply-adds at
// least: a claim costs about one cache-line handover between cores (0.1 to 0.4 µs measured), a
// few percent of a share this size.
constexpr int kMaxSharesPerMember = 4;
constexpr double kMinShareWork = 8 * kMinStepWorkPerThread;

// Whether `members` threads split a step's batch rows rather than its hidden units: when each can
// have a full tile of rows. Each then reads all of R and W, but no member reads another's H, so
// the shares need no rendezvous per step. Handing H across cores every step costs most where the
// two cores sit on different core complexes (a cache-line round trip several times longer than
// within one): there the split by units was measured up to 1.2x slower at B=16..32, and never
// faster at B=8..128, H=128..512 (bench/RESULTS.md).
inline bool split_by_rows(int members, int batch) { return members > 1 && batch >= members * kTileRows; }

// Share m of `shares` in one direction: hidden blocks [k0, k1) of batch rows [rb0, rb1). Split by
// rows, a share has every block of a run of rows; otherwise a run of blocks of every row.
struct ShareRange {
  int k0, k1, rb0, rb1;
  ShareRange(bool by_rows, int shares, int m, int blocks, int batch) {
    if (by_rows) {
      k0 = 0, k1 = blocks;
      split_range(batch, shares, m, rb0, rb1);
    } else {
      split_range(blocks, shares, m, k0, k1);
      rb0 = 0, rb1 = batch;
    }
  }
};

// Runs a pass's phases: sequence(each_phase) calls each_phase(work) once per phase, and
// each_phase runs work(share) for every share. Split by rows, no share reads another's state, so
// each share runs its whole sequence as one phase of run_phase; otherwise every phase is one.
template <class RunPhase, class Sequence>
void run_sequence(bool by_rows, RunPhase&& run_phase, Sequence&& sequence) {
  if (by_rows) {
    run_phase([&](int m) { sequence([m](auto&& work) { work(m); }); });
  } else {
    sequence(run_phase);
  }
}

// The call-level schedule in its own namespace: a pass names these as schedule::Groups etc.
namespace schedule {

// The sequence lengths of one call: every batch entry's, the longest and the shortest.
struct Sequences {
  std::vector<int> lens;
  int max_len = 0, min_len = 0;
  explicit Sequences(const RnnInputs& in) : lens(static_cast<size_t>(in.batch), in.seq_len), min_len(in.seq_len) {
    for (int b = 0; b < in.batch; ++b) {
      if (in.seq_lens) lens[b] = in.seq_lens[b];
      max_len = std::max(max_len, lens[b]);
      min_len = std::min(min_len, lens[b]);
    }
  }
  // Timestep of step `step` of batch entry b in a direction.
  int time(bool rev, int step, int b) const { return rev ? lens[b] - 1 - step : step; }
};

// Pieces of one workspace buffer, each 64-byte aligned, named once in a list that gives both the
// buffer's size and each piece's start.
struct Carver {
  // A piece: where its start goes, and its length.
  struct Piece {
    float** at;
    size_t floats;
  };
  // The floats the pieces span; with ws, each piece's start in ws, in order, goes where it says.
  static size_t lay_out(float* ws, std::initializer_list<Piece> pieces) {
    size_t n = 0;
    for (const Piece& p : pieces) {
      if (ws) *p.at = ws + n;
      n += (p.floats + 15) / 16 * 16;
    }
    return n;
  }
};

// Thread groups: one per direction when bidirectional and there are threads for both; within a
// group only as many members as a step's work justifies, and no more than `max_members` (the
// independent pieces a step has, e.g. hidden blocks).
struct Groups {
  int n = 1, D = 1, useful = 1, max_members = 1;
  // Shares per member in each phase: more than one lets a thread that starts a phase late still
  // find its first shares, and one that is done take what is left (PhaseShares). Set before run().
  int pieces = 1;
  Groups(int threads, int D_, double step_work, int max_members_) : D(D_), max_members(std::max(1, max_members_)) {
    n = threads > 0 ? threads : default_threads();
    useful = std::max(1, static_cast<int>(step_work / kMinStepWorkPerThread));
    n = std::max(1, std::min(n, D * std::min(useful, max_members)));
  }
  // Whether a call on nt threads gives each direction its own group.
  bool split(int nt) const { return D == 2 && nt >= 2; }
  // Group of thread tid of nt, its first thread and size.
  int of(int nt, int tid, int& first, int& size) const {
    const bool sp = split(nt);
    const int g = sp && tid >= nt / 2 ? 1 : 0;
    first = g == 1 ? nt / 2 : 0;
    size = sp ? (g == 0 ? nt / 2 : nt - nt / 2) : nt;
    return g;
  }
  int members(int size) const { return std::max(1, std::min({size, useful, max_members, PhaseShares::kMaxMembers})); }
  // Shares of each phase of a group of `members`.
  int shares_of(int members) const { return std::min(members * std::max(1, pieces), PhaseShares::kMaxMembers); }
  // Members of group gi on nt threads.
  int group_members(int nt, int gi) const {
    int first, size;
    of(nt, gi == 0 ? 0 : nt - 1, first, size);
    return members(size);
  }

  // Runs body(tid, d, members, me, run_phase) for every direction d on the pool: the threads of
  // d's group as its members (me: the member's index) and, when bidirectional, the other group's
  // threads as helpers (me == -1) once their own direction is done, so that a call never waits on
  // a thread the OS has not run (a loaded machine). run_phase(work) runs work(share) for each of
  // the shares_of(members) shares of one phase (a step, or half of one) exactly once, on whichever threads
  // get there, and returns when all are done: a share's work must depend on nothing but its index.
  // `members` is group_members(nt, group) of the nt threads the call got (n, or 1 when the pool
  // was busy). body must not throw.
  template <typename Body>
  void run(Body body) const {
    PhaseShares shares[2];
    for (int g = 0; g < 2; ++g) shares[g].reset(shares_of(group_members(n, g)), group_members(n, g));
    auto fn = [&](int tid, int nt) {
      int first, size;
      const int group = of(nt, tid, first, size);
      auto run_group = [&](int gi, int me) {
        const int mem = group_members(nt, gi);
        PhaseShares::Cursor cursor;
        auto run_phase = [&](auto&& work) {
          if (nt > 1) {
            shares[gi].run_phase(me, cursor, work);
          } else {
            for (int m = 0; m < shares_of(mem); ++m) work(m);
          }
        };
        for (int d = split(nt) ? gi : 0; d < (split(nt) ? gi + 1 : D); ++d) body(tid, d, mem, nt > 1 ? me : 0, run_phase);
      };
      if (tid - first < members(size)) run_group(group, tid - first);
      if (split(nt)) run_group(1 - group, -1);
    };
    if (n <= 1) {
      fn(0, 1);
    } else {
      parallel_run_elastic(n, fn);
    }
  }
};

// The work of a group split by batch rows (split_by_rows), as pieces: row groups x chunks of
// steps. A row group's chunks run in order, one at a time, on whichever thread claims the next,
// and no piece waits for another row group's. A thread takes the free row group that is furthest
// behind, so the groups advance together: a thread that the OS starts late (other processes'
// threads on the cores) still finds half of every group's steps left, instead of a whole
// sequence already handed out, and no thread ever waits for one that has not started.
class RowChunks {
 public:
  static constexpr int kMaxGroups = 64;

  // Before the threads start: `groups` row groups of `chunks` chunks each.
  void reset(int groups, int chunks) {
    groups_ = std::max(1, std::min(groups, kMaxGroups));
    chunks_ = chunks;
    for (auto& slot : slots_) slot.state.store(0, std::memory_order_relaxed);
  }
  int groups() const { return groups_; }

  // Runs work(group, chunk) for the pieces this thread claims, and returns when every piece is
  // done. `home`: the row group this thread looks at first. work must not throw.
  template <class Work>
  void run(int home, Work&& work) {
    home = home < 0 ? 0 : home % groups_;
    for (int spins = 0;;) {
      int best = -1, best_next = chunks_, unfinished = 0;
      for (int i = 0; i < groups_; ++i) {
        const int g = (home + i) % groups_;
        const int st = slots_[g].state.load(std::memory_order_acquire);
        if (st >> 1 >= chunks_) continue;
        ++unfinished;
        if (!(st & 1) && st >> 1 < best_next) {
          best = g;
          best_next = st >> 1;
        }
      }
      if (unfinished == 0) return;
      int expected = best_next << 1;
      if (best >= 0 && slots_[best].state.compare_exchange_strong(expected, expected | 1, std::memory_order_acq_rel)) {
        work(best, best_next);
        slots_[best].state.store((best_next + 1) << 1, std::memory_order_release);
        spins = 0;
        continue;
      }
      // Every unfinished group is held by a thread that is running it.
      spin_wait(spins++);
    }
  }

 private:
  struct alignas(64) Slot {
    std::atomic<int> state{0};  // next chunk * 2, plus 1 while a thread holds the group
  };
  int groups_ = 1, chunks_ = 0;
  Slot slots_[kMaxGroups];
};

// Row groups for `members` threads split by rows over `batch` rows: several per member, each a
// whole tile of rows at least.
constexpr int kRowGroupsPerMember = 4;
inline int row_groups(int members, int batch) {
  return std::max(1, std::min({batch / kTileRows, members * kRowGroupsPerMember, RowChunks::kMaxGroups}));
}

}  // namespace schedule
}  // namespace gatedrnn
