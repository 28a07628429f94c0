#include "rnn_forward.h"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <new>
#include <vector>

#include "../cpu/gemm_bf16.h"
#include "../cpu/isa.h"
#include "../cpu/kernels.h"
#include "../cpu/parallel.h"
#include "step_schedule.h"

namespace gatedrnn {

namespace {

constexpr size_t kMapThreshold = 1u << 20;

size_t padded_bytes(size_t count) { return std::max<size_t>(64, (count * sizeof(float) + 63) / 64 * 64); }

// (No madvise(MADV_HUGEPAGE) on big buffers: measured 40% slower at T=400 B=16 H=256, since with
// the common "defrag=madvise" setting a huge-page fault may compact memory synchronously.)
AlignedBuffer allocate(size_t count, bool zero, size_t map_from = kMapThreshold) {
  const size_t bytes = padded_bytes(count);
  if (bytes >= map_from) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return AlignedBuffer(static_cast<float*>(p), AlignedFree{bytes});  // zero-filled by the OS
  }
  void* p = nullptr;
  if (posix_memalign(&p, 64, bytes) != 0 || p == nullptr) throw std::bad_alloc();
  if (zero) std::memset(p, 0, bytes);
  return AlignedBuffer(static_cast<float*>(p));
}

}  // namespace

void release_floats(float* p, size_t mapped) {
  if (!p) return;
  if (mapped) {
    munmap(p, mapped);
  } else {
    std::free(p);
  }
}

AlignedBuffer aligned_floats(size_t count) { return allocate(count, true); }

AlignedBuffer aligned_floats_uninit(size_t count) { return allocate(count, false); }

AlignedBuffer aligned_floats_long_lived(size_t count) { return allocate(count, true, 0); }

namespace {

// Packs gate g of rows [row0, row0 + H) of a row-major [G*H, K] matrix into `blocks` panels of
// kPanel units, panel (blk, g) at dst + (blk * G + g) * K * kPanel.
void pack_gate(const float* src, int g, int G, int H, int K, int blocks, float* dst) {
  for (int blk = 0; blk < blocks; ++blk) {
    float* panel = dst + (static_cast<size_t>(blk) * G + g) * K * kPanel;
    for (int lane = 0; lane < kPanel; ++lane) {
      const int unit = blk * kPanel + lane;
      if (unit >= H) break;
      const float* row = src + static_cast<size_t>(g * H + unit) * K;
      for (int k = 0; k < K; ++k) panel[static_cast<size_t>(k) * kPanel + lane] = row[k];
    }
  }
}

// Packs gate g of R for every block with the gates of a block interleaved k by k: element
// (k, g, lane) of block blk at dst + (blk * K + k) * G * kPanel + g * kPanel + lane. A step's
// matrix-vector product then reads one memory stream per block instead of one per gate.
void pack_gate_interleaved(const float* src, int g, int G, int H, int K, int blocks, float* dst) {
  for (int blk = 0; blk < blocks; ++blk) {
    for (int lane = 0; lane < kPanel; ++lane) {
      const int unit = blk * kPanel + lane;
      if (unit >= H) break;
      const float* row = src + static_cast<size_t>(g * H + unit) * K;
      float* out = dst + static_cast<size_t>(blk) * K * G * kPanel + g * kPanel + lane;
      for (int k = 0; k < K; ++k) out[static_cast<size_t>(k) * G * kPanel] = row[k];
    }
  }
}

// Panels per input-projection GEMM call: a chunk stays in L2 while every row of the chunk passes.
constexpr int kInputPanelChunk = 12;
// The input projection of a chunk, for all directions, stays within this many floats.
constexpr size_t kChunkFloats = 2u << 20;

// Below this many multiply-adds per step, whether a second thread in the recurrence pays depends
// on how fast the cores hand over (ThreadChoice).
constexpr double kMaxChoiceStepWork = 256 * 1024;

int tile_blocks(int gates, size_t panel_bytes, int block_panels) {
  // Keep one chunk's R panels (gates x blocks panels) within about 384 KiB of L2, and prefer a
  // chunk whose panel count fills whole 4-row register blocks of the micro-kernel.
  const size_t block_bytes = static_cast<size_t>(gates) * panel_bytes;
  const int fit = static_cast<int>(std::max<size_t>(1, std::min<size_t>(kTileBlocks, (384u << 10) / block_bytes)));
  for (int nb = fit; nb > 0; --nb)
    if ((gates * nb) % block_panels == 0) return nb;
  return fit;
}

}  // namespace

PackedRnn::PackedRnn(const RnnSpec& spec, const RnnWeights& w) : spec_(spec) {
  const int H = spec.hidden, I = spec.input, G = spec.gates(), D = spec.num_dirs;
  blocks_ = (H + kPanel - 1) / kPanel;
  hp_ = blocks_ * kPanel;
  const size_t panels = static_cast<size_t>(D) * G * blocks_;
  w_panel_bytes_ = spec.bf16_weights ? bf16_panel_elems(I) * sizeof(uint16_t) : static_cast<size_t>(I) * kPanel * sizeof(float);
  r_panel_bytes_ = spec.bf16_weights ? bf16_panel_elems(H) * sizeof(uint16_t) : static_cast<size_t>(H) * kPanel * sizeof(float);
  // Panel sizes are multiples of 64 bytes (kPanel lanes x an even K), so every panel stays aligned.
  const size_t w_floats = panels * w_panel_bytes_ / sizeof(float), r_floats = panels * r_panel_bytes_ / sizeof(float);
  // One block: each part starts on a 64-byte line (hp_ is a multiple of kPanel lanes).
  const auto line = [](size_t floats) { return (floats + 15) / 16 * 16; };
  const size_t bias_floats = static_cast<size_t>(D) * G * hp_, rbh_floats = static_cast<size_t>(D) * hp_;
  const size_t peep_floats = w.P && spec.cell == Cell::LSTM ? static_cast<size_t>(D) * 3 * hp_ : 0;
  storage_ = aligned_floats_long_lived(line(w_floats) + line(r_floats) + line(bias_floats) + line(rbh_floats) + peep_floats);
  w_packed_ = storage_.get();
  r_packed_ = w_packed_ + line(w_floats);
  bias_ = r_packed_ + line(r_floats);
  rbh_ = bias_ + line(bias_floats);
  if (peep_floats) peep_ = rbh_ + line(rbh_floats);
  packed_bytes_ = (w_floats + r_floats + bias_floats + rbh_floats + peep_floats) * sizeof(float);
  for (int d = 0; d < D; ++d) {
    const float* Wd = w.W + static_cast<size_t>(d) * G * H * I;
    const float* Rd = w.R + static_cast<size_t>(d) * G * H * H;
    for (int g = 0; g < G; ++g) {
      if (spec.bf16_weights) {
        for (int blk = 0; blk < blocks_; ++blk) {
          const int rows = std::min(kPanel, H - blk * kPanel);
          pack_panels_bf16(Wd, g * H + blk * kPanel, rows, I, 1, static_cast<uint16_t*>(const_cast<void*>(w_panel(d, blk, g))));
          pack_panels_bf16(Rd, g * H + blk * kPanel, rows, H, 1, static_cast<uint16_t*>(const_cast<void*>(r_panel(d, blk, g))));
        }
      } else {
        pack_gate(Wd, g, G, H, I, blocks_, static_cast<float*>(const_cast<void*>(w_panel(d, 0, 0))));
        pack_gate_interleaved(Rd, g, G, H, H, blocks_, static_cast<float*>(const_cast<void*>(r_panel(d, 0, 0))));
      }
    }
    // Per-unit parameters, block-major like the GEMM outputs: [block][gate][kPanel].
    auto at = [&](float* base, int gates, int g, int u) {
      return base + ((static_cast<size_t>(d) * blocks_ + u / kPanel) * gates + g) * kPanel + u % kPanel;
    };
    if (w.B) {
      const float* Wb = w.B + static_cast<size_t>(d) * 2 * G * H;
      const float* Rb = Wb + static_cast<size_t>(G) * H;
      for (int g = 0; g < G; ++g) {
        // In a reset-after GRU, Rbh sits inside r ⊙ (...): it cannot join Wbh.
        const bool separate = spec.cell == Cell::GRU && spec.linear_before_reset && g == 2;
        for (int u = 0; u < H; ++u) {
          *at(bias_, G, g, u) = Wb[g * H + u] + (separate ? 0.f : Rb[g * H + u]);
          if (separate) rbh_[static_cast<size_t>(d) * hp_ + u] = Rb[g * H + u];
        }
      }
    }
    if (peep_) {
      for (int g = 0; g < 3; ++g)
        for (int u = 0; u < H; ++u) *at(peep_, 3, g, u) = w.P[(static_cast<size_t>(d) * 3 + g) * H + u];
    }
  }
}

const void* PackedRnn::w_panel(int d, int blk, int g) const {
  const size_t index = (static_cast<size_t>(d) * blocks_ + blk) * spec_.gates() + g;
  return reinterpret_cast<const char*>(w_packed_) + index * w_panel_bytes_;
}

const void* PackedRnn::r_panel(int d, int blk, int g) const {
  const size_t block = static_cast<size_t>(d) * blocks_ + blk;
  const char* base = reinterpret_cast<const char*>(r_packed_) + block * spec_.gates() * r_panel_bytes_;
  // fp32: the gates of a block are interleaved k by k (pack_gate_interleaved); bf16: one after another.
  return spec_.bf16_weights ? base + g * r_panel_bytes_ : base + g * kPanel * sizeof(float);
}

void PackedRnn::gemm(const KernelTable& kt, int K, const float* A, size_t lda, int mr, const void* const* panels,
                     size_t kstride, int np, float* C, size_t ldc) const {
  if (spec_.bf16_weights) {
    kt.gemm_bf16(K, A, lda, mr, reinterpret_cast<const uint16_t* const*>(panels), np, C, ldc);
  } else {
    kt.gemm(K, A, lda, mr, reinterpret_cast<const float* const*>(panels), kstride, np, C, ldc);
  }
}

AlignedBuffer WorkspacePool::take(size_t floats, size_t& capacity) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < kept_.size(); ++i) {
      if (kept_[i].second >= floats) {
        AlignedBuffer buf = std::move(kept_[i].first);
        capacity = kept_[i].second;
        kept_.erase(kept_.begin() + static_cast<std::ptrdiff_t>(i));
        return buf;
      }
    }
  }
  capacity = floats;
  return aligned_floats_uninit(floats);
}

void WorkspacePool::give(AlignedBuffer buf, size_t capacity) {
  std::lock_guard<std::mutex> lock(mu_);
  kept_.emplace_back(std::move(buf), capacity);
  std::sort(kept_.begin(), kept_.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (kept_.size() > 2) kept_.resize(2);
}

double ThreadChoice::Way::estimate() const {
  // The median of the last three: one call that the OS preempted does not change the choice.
  if (count == 0) return 0;
  if (count < 3) return std::min(ns[0], count == 2 ? ns[1] : ns[0]);
  return std::max(std::min(ns[0], ns[1]), std::min(std::max(ns[0], ns[1]), ns[2]));
}

ThreadChoice::Pick ThreadChoice::pick(int bucket) {
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& b = buckets_[bucket];
  const unsigned call = b.calls++;
  if (call < kExplore) return {call % 2 == 1, true};
  const bool single_faster = b.way[1].estimate() < b.way[0].estimate();
  const unsigned phase = call % kRetryEvery;
  if (phase < 2) return {!single_faster, phase == 1};
  return {single_faster, true};
}

void ThreadChoice::record(int bucket, bool single, double ns_per_step) {
  std::lock_guard<std::mutex> lock(mu_);
  Way& w = buckets_[bucket].way[single ? 1 : 0];
  w.ns[w.next] = ns_per_step;
  w.next = (w.next + 1) % 3;
  w.count = std::min(w.count + 1, 3);
}

void PackedRnn::forward(const RnnInputs& in, const RnnOutputs& out, int threads) const {
  const RnnSpec& s = spec_;
  const KernelTable& kt = active_kernels();
  const int T = in.seq_len, B = in.batch, H = s.hidden, I = s.input, G = s.gates(), D = s.num_dirs;
  const int hp = hp_, blocks = blocks_;
  const size_t state = static_cast<size_t>(B) * hp;
  const size_t ldx = static_cast<size_t>(G) * hp;  // one row of the input projection

  std::vector<int> lens(B, T);
  int max_len = 0, min_len = T;
  for (int b = 0; b < B; ++b) {
    if (in.seq_lens) lens[b] = in.seq_lens[b];
    max_len = std::max(max_len, lens[b]);
    min_len = std::min(min_len, lens[b]);
  }

  // Threads: one group per direction when bidirectional; within a group only as many members
  // as a step's work justifies.
  int n = threads > 0 ? threads : default_threads();
  const double step_work = static_cast<double>(B) * G * H * (H + I);
  const int useful = std::max(1, static_cast<int>(step_work / kMinStepWorkPerThread));
  n = std::max(1, std::min(n, D * useful));
  // One direction whose steps are small: one thread or several, whichever has been faster lately.
  const int choice_bucket = D == 1 && n > 1 && step_work < kMaxChoiceStepWork
                                ? std::min(ThreadChoice::kBuckets - 1, std::max(0, std::ilogb(step_work)))
                                : -1;
  const ThreadChoice::Pick pick = choice_bucket >= 0 ? thread_choice_.pick(choice_bucket) : ThreadChoice::Pick{false, false};
  if (pick.single) n = 1;
  auto group_of = [&](int nt, int tid, int& first, int& size) {
    const bool split = D == 2 && nt >= 2;
    const int g = split && tid >= nt / 2 ? 1 : 0;
    first = g == 1 ? nt / 2 : 0;
    size = split ? (g == 0 ? nt / 2 : nt - nt / 2) : nt;
    return g;
  };
  auto members_of = [&](int size) { return std::max(1, std::min({size, useful, PhaseShares::kMaxMembers})); };

  // Timesteps per chunk of the input projection.
  int chunk = std::max(1, std::min(max_len, (kChunkRows + B - 1) / B));
  chunk = static_cast<int>(std::max<size_t>(1, std::min<size_t>(chunk, kChunkFloats / (static_cast<size_t>(D) * B * ldx))));

  // Workspace, reused across calls: per direction two H buffers (read one, write the other each
  // step), the cell state, the reset-before GRU's z and r ⊙ H, the chunk's input projection;
  // per thread the chunk's gathered X rows.
  const bool two_phase = s.cell == Cell::GRU && !s.linear_before_reset;
  const size_t n_h = static_cast<size_t>(D) * 2 * state;
  const size_t n_c = s.cell == Cell::LSTM ? D * state : 0;
  const size_t n_zr = two_phase ? 2 * D * state : 0;
  const size_t n_xw = static_cast<size_t>(D) * chunk * B * ldx;
  const size_t n_a = static_cast<size_t>(chunk) * B * I;
  const size_t a_stride = (n_a + 15) / 16 * 16;
  size_t capacity = 0;
  AlignedBuffer ws = workspaces_.take(n_h + n_c + n_zr + n_xw + static_cast<size_t>(n) * a_stride, capacity);
  float* hbuf = ws.get();
  float* cbuf = n_c ? hbuf + n_h : nullptr;
  float* zbuf = n_zr ? hbuf + n_h + n_c : nullptr;
  float* rhbuf = n_zr ? zbuf + D * state : nullptr;
  float* xwbuf = hbuf + n_h + n_c + n_zr;
  float* abuf = xwbuf + n_xw;

  std::memset(hbuf, 0, sizeof(float) * (n_h + n_c + n_zr));
  for (int d = 0; d < D; ++d) {
    for (int b = 0; b < B; ++b) {
      float* h0 = hbuf + static_cast<size_t>(d) * 2 * state + static_cast<size_t>(b) * hp;
      if (in.initial_h) std::memcpy(h0, in.initial_h + state_offset(s, B, d, b), sizeof(float) * H);
      if (cbuf && in.initial_c)
        std::memcpy(cbuf + d * state + static_cast<size_t>(b) * hp, in.initial_c + state_offset(s, B, d, b),
                    sizeof(float) * H);
      // Steps past a sequence's end produce zeros in Y.
      if (out.Y)
        for (int t = lens[b]; t < T; ++t) std::memset(out.Y + y_offset(s, T, B, t, d, b), 0, sizeof(float) * H);
    }
  }

  PhaseShares group_shares[2];
  for (int g = 0; g < 2; ++g) {
    int first, size;
    group_of(n, g == 0 ? 0 : n - 1, first, size);
    group_shares[g].reset(members_of(size));
  }

  const auto started = std::chrono::steady_clock::now();
  parallel_run_elastic(n, [&](int tid, int nt) {
    int group_first, group_size;
    const int group = group_of(nt, tid, group_first, group_size);
    const bool split_dirs = D == 2 && nt >= 2;
    float* a_rows = abuf + static_cast<size_t>(tid) * a_stride;
    alignas(64) float tile[kTileRows * 4 * kTileBlocks * kPanel];
    const void* panels[4 * kTileBlocks];
    GateRow rows[kTileRows];
    std::vector<const void*> w_panels;
    w_panels.reserve(static_cast<size_t>(blocks) * G);

    // The directions of one group, as member `me` of it (-1: a helper from the other group).
    auto run_group = [&](int grp, int me) {
      int first_tid, size;
      group_of(nt, grp == 0 ? 0 : nt - 1, first_tid, size);
      const int members = members_of(size);
      PhaseShares& shares = group_shares[grp];
      PhaseShares::Cursor cursor;
      // Every step is one phase (two for the reset-before GRU); a thread may also do a late
      // member's share of a phase, so all that a share needs is derived from its index.
      auto run_phase = [&](auto&& work) {
        if (nt > 1) {
          shares.run_phase(me, cursor, work);
        } else {
          work(0);
        }
      };

      // Shares: a grid of column groups (hidden blocks) x row groups (batch rows). Whoever does a
      // share at a chunk's first step also computes the chunk's input projection of exactly that
      // share's rows and blocks, so only the exchange of H between steps needs the phases.
      // When every member can have a full tile of batch rows, the split is by rows alone
      // (split_by_rows).
      const bool by_rows = split_by_rows(members, B);
      const int col_groups = by_rows ? 1 : std::min(members, blocks);
      const int row_groups = std::min(members / col_groups, B);
      struct Share {
        int blk_begin = 0, blk_end = 0, b_begin = 0, b_end = 0;
      };
      auto share_of = [&](int m) {
        Share sh;
        if (m / col_groups < row_groups) {
          split_range(blocks, col_groups, m % col_groups, sh.blk_begin, sh.blk_end);
          split_range(B, row_groups, m / col_groups, sh.b_begin, sh.b_end);
        }
        return sh;
      };
      for (int d = (split_dirs ? grp : 0); d < (split_dirs ? grp + 1 : D); ++d) {
        const bool rev = s.dir_reversed(d);
        float* hb[2] = {hbuf + static_cast<size_t>(d) * 2 * state, hbuf + static_cast<size_t>(d) * 2 * state + state};
        float* c = cbuf ? cbuf + d * state : nullptr;
        float* z = zbuf ? zbuf + d * state : nullptr;
        float* rh = rhbuf ? rhbuf + d * state : nullptr;
        float* xw = xwbuf + static_cast<size_t>(d) * chunk * B * ldx;
        const float* bias = bias_ + static_cast<size_t>(d) * G * hp;
        const float* rbh = rbh_ + static_cast<size_t>(d) * hp;
        const float* peep = peep_ ? peep_ + static_cast<size_t>(d) * 3 * hp : nullptr;

        // The input projection of steps [c0, c0 + cs) for a share's rows and blocks.
        auto project = [&](const Share& sh, int c0, int cs) {
          const int nr = sh.b_end - sh.b_begin;
          if (nr == 0) return;
          w_panels.clear();
          for (int blk = sh.blk_begin; blk < sh.blk_end; ++blk)
            for (int g = 0; g < G; ++g) w_panels.push_back(w_panel(d, blk, g));
          const int np_in = static_cast<int>(w_panels.size());
          // Forward, layout 0, every row of the chunk live: each step's rows of the share are
          // already contiguous in X, in order, and need no copy (B rows apart from step to step).
          const float* a = a_rows;
          size_t step_stride = static_cast<size_t>(nr) * I;
          if (!rev && s.layout == 0 && c0 + cs <= min_len) {
            a = in.X + (static_cast<size_t>(c0) * B + sh.b_begin) * I;
            step_stride = static_cast<size_t>(B) * I;
          } else {
            for (int si = 0; si < cs; ++si) {
              for (int i = 0; i < nr; ++i) {
                const int b = sh.b_begin + i, step = c0 + si;
                float* dst = a_rows + (static_cast<size_t>(si) * nr + i) * I;
                if (step < lens[b]) {
                  const int t = rev ? lens[b] - 1 - step : step;
                  std::memcpy(dst, in.X + x_row(s, T, B, t, b) * I, sizeof(float) * I);
                } else {
                  std::memset(dst, 0, sizeof(float) * I);  // unused; zeros keep the GEMM free of NaN
                }
              }
            }
          }
          float* out0 = xw + static_cast<size_t>(sh.blk_begin) * G * kPanel;
          for (int p0 = 0; p0 < np_in; p0 += kInputPanelChunk) {
            const int np = std::min(kInputPanelChunk, np_in - p0);
            if (nr == B) {  // rows (step, b) are uniform in the chunk buffer: one call
              gemm(kt, I, a, I, cs * nr, w_panels.data() + p0, kPanel, np, out0 + static_cast<size_t>(p0) * kPanel, ldx);
            } else {
              for (int si = 0; si < cs; ++si)
                gemm(kt, I, a + si * step_stride, I, nr, w_panels.data() + p0, kPanel, np,
                     out0 + (static_cast<size_t>(si) * B + sh.b_begin) * ldx + static_cast<size_t>(p0) * kPanel, ldx);
            }
          }
        };

        // One GEMM + epilogue over a share's tiles of a step: gates [g0, g0 + ng) of R times A,
        // the [B, hp] matrix H(t-1) (or r ⊙ H(t-1) in phase 2).
        auto phase = [&](const Share& sh, int step, int c0, const float* A, int g0, int ng,
                         void (*epilogue)(const EpilogueArgs&)) {
          const float* hprev = hb[step & 1];
          float* hnext = hb[(step + 1) & 1];
          // Blocks outside, rows inside: a chunk's panels are read once per step and then reused
          // from L2 by every row tile.
          const int nb_max = tile_blocks(ng, r_panel_bytes_, kt.block_panels);
          // Odd steps walk the chunks backwards: a slice of R larger than L2 then starts each step
          // with the part the previous step left in L2, instead of evicting it just before use.
          const int nchunks = (sh.blk_end - sh.blk_begin + nb_max - 1) / nb_max;
          for (int ci = 0; ci < nchunks; ++ci) {
            const int k0 = sh.blk_begin + ((step & 1) ? nchunks - 1 - ci : ci) * nb_max;
            const int nb = std::min(nb_max, sh.blk_end - k0);
            for (int j = 0; j < nb; ++j)
              for (int g = 0; g < ng; ++g) panels[j * ng + g] = r_panel(d, k0 + j, g0 + g);
            const size_t ldc = static_cast<size_t>(ng) * nb * kPanel;
            const int u0 = k0 * kPanel;
            const int width = std::min(nb * kPanel, H - u0);
            for (int b0 = sh.b_begin; b0 < sh.b_end; b0 += kTileRows) {
              const int mr = std::min(kTileRows, sh.b_end - b0);
              gemm(kt, H, A + static_cast<size_t>(b0) * hp, hp, mr, panels, static_cast<size_t>(G) * kPanel, ng * nb, tile, ldc);
              int nrows = 0;
              for (int i = 0; i < mr; ++i) {
                const int b = b0 + i;
                const size_t off = static_cast<size_t>(b) * hp + u0;
                if (step >= lens[b]) {
                  // Past this sequence's end the state carries over unchanged.
                  if (g0 == 0) std::memcpy(hnext + off, hprev + off, sizeof(float) * width);
                  continue;
                }
                const int t = rev ? lens[b] - 1 - step : step;
                GateRow& row = rows[nrows++];
                row.acc = tile + i * ldc;
                row.xw = xw + (static_cast<size_t>(step - c0) * B + b) * ldx + (static_cast<size_t>(k0) * G + g0) * kPanel;
                row.hprev = hprev + off;
                row.hnext = hnext + off;
                row.c = c ? c + off : nullptr;
                row.y = out.Y ? out.Y + y_offset(s, T, B, t, d, b) + u0 : nullptr;
                row.z = z ? z + off : nullptr;
                row.rh = rh ? rh + off : nullptr;
              }
              if (nrows == 0) continue;
              EpilogueArgs e;
              e.rows = rows;
              e.nrows = nrows;
              e.nblocks = nb;
              e.width = width;
              e.acc_bstride = ng * kPanel;
              e.xw_bstride = G * kPanel;
              e.par_bstride = G * kPanel;
              e.bias = bias + (static_cast<size_t>(k0) * G + g0) * kPanel;
              e.rbh = rbh + u0;
              e.peep = peep ? peep + static_cast<size_t>(k0) * 3 * kPanel : nullptr;
              e.acts = s.acts[d];
              e.has_clip = s.has_clip;
              e.clip = s.clip;
              e.input_forget = s.input_forget;
              epilogue(e);
            }
          }
        };

        // Every step and then the final states; each_phase(work) runs work(share) for every share
        // of one phase.
        auto sequence = [&](auto&& each_phase) {
          for (int c0 = 0; c0 < max_len; c0 += chunk) {
            const int cs = std::min(chunk, max_len - c0);
            for (int step = c0; step < c0 + cs; ++step) {
              const float* hprev = hb[step & 1];
              // The first phase of a step; at a chunk's first step it begins with the projection.
              auto step_phase = [&](int g0, int ng, void (*epilogue)(const EpilogueArgs&)) {
                each_phase([&](int m) {
                  const Share sh = share_of(m);
                  if (step == c0) project(sh, c0, cs);
                  phase(sh, step, c0, hprev, g0, ng, epilogue);
                });
              };
              switch (s.cell) {
                case Cell::RNN: step_phase(0, 1, kt.rnn_step); break;
                case Cell::LSTM: step_phase(0, 4, kt.lstm_step); break;
                case Cell::GRU:
                  if (s.linear_before_reset) {
                    step_phase(0, 3, kt.gru_step_lbr);
                  } else {
                    step_phase(0, 2, kt.gru_step_zr);
                    // Phase 2 reads r ⊙ H(t-1) of every hidden unit.
                    each_phase([&](int m) { phase(share_of(m), step, c0, rh, 2, 1, kt.gru_step_h); });
                  }
                  break;
              }
            }
          }

          // Final states, share by share.
          const float* hlast = hb[max_len & 1];
          each_phase([&](int m) {
            const Share sh = share_of(m);
            const int u0 = sh.blk_begin * kPanel, width = std::min(sh.blk_end * kPanel, H) - u0;
            if (width <= 0) return;
            for (int b = sh.b_begin; b < sh.b_end; ++b) {
              const size_t off = static_cast<size_t>(b) * hp + u0;
              if (out.Y_h) std::memcpy(out.Y_h + state_offset(s, B, d, b) + u0, hlast + off, sizeof(float) * width);
              if (out.Y_c && c) std::memcpy(out.Y_c + state_offset(s, B, d, b) + u0, c + off, sizeof(float) * width);
            }
          });
        };
        run_sequence(by_rows, run_phase, sequence);
      }
    };

    const int me = tid - group_first;
    if (me < members_of(group_size)) run_group(group, me);
    // A thread done with its direction helps with the other one, or does all of it when that
    // group's threads never started (a loaded machine): the call never waits on an absent thread.
    if (split_dirs) run_group(1 - group, -1);
  });
  if (pick.timed && max_len > 0)
    thread_choice_.record(choice_bucket, pick.single,
                          std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - started).count() / max_len);
  workspaces_.give(std::move(ws), capacity);
}

}  // namespace gatedrnn
